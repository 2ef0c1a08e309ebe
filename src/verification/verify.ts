import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { checkIdNumber, everValidCountyCodes } from '../registries/population/index.js';
import type { AsOf } from '../registries/records.js';
import { parseAsOf } from '../server/as-of.js';
import { badUserInput, notFound } from '../server/errors.js';
import { composeHousehold, decide, type Decision, type GatheredItems } from './evaluate.js';
import { standardFor, type Scheme } from './scheme.js';
import { isUnavailable, populationSource, sourcesFor, type ItemSource, type QueryTimeLookups, type SourceCall } from './sources.js';

/** Who asked for a verification, and under which purpose and case. */
export interface VerificationCaller {
  department: string;
  system: string;
  purpose: string;
  caseNumber: string;
}

/** A verification as decided and stored: what `verification(reference:)` returns, unchanged. */
export interface StoredVerification extends Decision {
  reference: string;
  schemeCode: string;
  schemeVersion: string;
  applicantIdNumber: string;
  declaredMembers: string[];
  caller: VerificationCaller;
  /** The day the check is judged on (hub time): its standard and its data. */
  checkDate: string;
  decidedAt: string;
  /** Milliseconds gathering and deciding took. */
  tookMs: number;
}

/** One resource read while verifying, for the request's audit entry. */
export interface Access {
  resource: string;
  fields: string[];
  subjects: string[];
}

export interface VerifierOptions {
  /**
   * The hub's `lookup` sources (`HubServices.lookups`, from the `lookup` connector definitions:
   * timeout, TTL cache and breaker are theirs); item 12 asks them. Without them that item is
   * `UNAVAILABLE` and every verdict `INCOMPLETE`.
   */
  lookups: QueryTimeLookups | null;
  /** Wraps each item's source (the benchmark adds latency to show they are asked in parallel). (Default: none) */
  wrapSource?: (key: string, source: ItemSource) => ItemSource;
}

/** Resources each kind of item reads, for the audit entry (base libraries read two tables each). */
const READS: Record<string, { resource: string; fields: string[] }[]> = {
  household: [
    { resource: 'population.person', fields: ['idNumber', 'name', 'status', 'householdNumber', 'relationToHead'] },
    { resource: 'population.household', fields: ['number', 'divisionCode'] },
  ],
  property: [
    { resource: 'property.ownership', fields: ['ownerIdNumber', 'share'] },
    { resource: 'property.unit', fields: ['usage', 'floorArea'] },
  ],
  shareholdings: [
    { resource: 'legal-entity.shareholding', fields: ['holderIdNumber', 'share'] },
    { resource: 'legal-entity.entity', fields: ['name', 'kind', 'status'] },
  ],
};

/** `LI20261203-7KQ2M9XW`: the check date and 8 random base-32 characters. */
export function newReference(checkDate: string): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const bytes = randomBytes(8);
  return `LI${checkDate.replaceAll('-', '')}-${[...bytes].map((b) => alphabet[b & 31]).join('')}`;
}

/** The hub's calendar day (UTC+8) of an instant. */
const hubDay = (at: Date) => new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);

export class Verifier {
  private readonly sources: Map<string, ItemSource>;
  private readonly population;

  constructor(
    private readonly pool: pg.Pool,
    readonly scheme: Scheme,
    options: VerifierOptions,
  ) {
    this.sources = sourcesFor(scheme.items, pool, options.lookups);
    if (options.wrapSource) for (const [key, source] of this.sources) this.sources.set(key, options.wrapSource(key, source));
    this.population = populationSource(pool);
  }

  /**
   * Verifies one household and stores the result under a new reference, in `client`'s transaction
   * when given (a batch marks its household done in the same one). Every item is gathered for all
   * members at once, all items in parallel.
   */
  async verify(
    input: { applicant: string; declaredMembers: readonly string[]; asOf?: string | null },
    caller: VerificationCaller,
    options: { client?: pg.PoolClient; batchId?: string | null; store?: boolean } = {},
  ): Promise<{ verification: StoredVerification; accessed: Access[] }> {
    const started = performance.now();
    const applicant = input.applicant.trim().toUpperCase();
    const declared = [...new Set(input.declaredMembers.map((m) => m.trim().toUpperCase()).filter((m) => m !== applicant))];
    const codes = await everValidCountyCodes(this.pool);
    const validId = (id: string) => checkIdNumber(id, codes).ok;
    if (!validId(applicant)) throw badUserInput('applicant', 'not a valid citizen ID number (GB 11643)');
    const at = input.asOf ? parseAsOf(input.asOf) : null;
    const asOf: AsOf = at ? at.toISOString() : null;
    const checkDate = input.asOf && input.asOf.length === 10 ? input.asOf : hubDay(at ?? new Date());

    const register = await this.population.gather(applicant, declared.filter(validId), asOf);
    if (isUnavailable(register)) throw new Error(`population library unavailable: ${register.reason}`);
    if (!register.value.applicant) throw notFound('applicant', applicant);
    const household = composeHousehold(applicant, declared, register.value, validId);

    const gathered: GatheredItems = new Map();
    const calls: SourceCall[] = [];
    const heard = (call: SourceCall) => void calls.push(call);
    await Promise.all(
      [...this.sources].map(async ([key, source]) => {
        gathered.set(key, household.counted.length ? await source.gather(household.counted, asOf, heard) : { unavailable: true, reason: 'no living member to check', system: 'hub' });
      }),
    );
    const division = register.value.divisionCode ?? '';
    const decision = decide(this.scheme, { household, register, gathered, standard: standardFor(this.scheme, division, checkDate), onDate: checkDate });
    const verification: StoredVerification = {
      reference: newReference(checkDate),
      schemeCode: this.scheme.code,
      schemeVersion: this.scheme.version,
      applicantIdNumber: applicant,
      declaredMembers: declared,
      caller,
      checkDate,
      decidedAt: new Date().toISOString(),
      tookMs: Math.round(performance.now() - started),
      ...decision,
    };
    // A batch stores its chunk's verifications together, in the transaction that marks them done.
    if (options.store !== false) await storeVerifications(options.client ?? this.pool, [verification], options.batchId ?? null);
    return { verification, accessed: this.accessesOf(household.counted, [applicant, ...declared], calls) };
  }

  /** What was read, per resource; each call made at a department system named as the department data does (`call:<dept>/<system>:<outcome>`). */
  private accessesOf(counted: string[], asked: string[], calls: readonly SourceCall[]): Access[] {
    const accessed: Access[] = READS.household.map((r) => ({ ...r, subjects: [...new Set(asked.filter((a) => /^[0-9]{17}[0-9X]$/.test(a)))].sort() }));
    for (const item of this.scheme.items) {
      if (item.key === 'household') continue;
      const reads =
        READS[item.key] ??
        (item.source.kind === 'department-record' || (item.source.kind === 'lookup' && item.source.resources)
          ? (item.source.resources ?? []).map((resource) => ({ resource, fields: ['record'] }))
          : [{ resource: item.resource, fields: ['record'] }]);
      for (const r of reads) accessed.push({ ...r, subjects: [...counted].sort() });
    }
    for (const call of calls) {
      const read = accessed.find((a) => a.resource === call.resource);
      const field = `call:${call.name}:${call.outcome}`;
      if (!read) accessed.push({ resource: call.resource, fields: [field], subjects: [call.subject] });
      else if (!read.fields.includes(field)) read.fields.push(field);
    }
    return accessed;
  }
}

/** Stores verifications as decided, in one statement. */
export async function storeVerifications(db: pg.Pool | pg.PoolClient, list: readonly StoredVerification[], batchId: string | null): Promise<void> {
  if (!list.length) return;
  await db.query(
    `insert into verification (reference, scheme_code, scheme_version, applicant_id_number, department, system, purpose, case_number,
       verdict, check_date, decided_at, batch_id, result)
     select v->>'reference', v->>'schemeCode', v->>'schemeVersion', v->>'applicantIdNumber', v->'caller'->>'department', v->'caller'->>'system',
       v->'caller'->>'purpose', v->'caller'->>'caseNumber', v->>'verdict', (v->>'checkDate')::date, (v->>'decidedAt')::timestamptz, $2::bigint, v
     from jsonb_array_elements($1::jsonb) v`,
    [JSON.stringify(list), batchId],
  );
}

/** A stored verification exactly as decided, or null. */
export async function readVerification(pool: pg.Pool, reference: string): Promise<StoredVerification | null> {
  const { rows } = await pool.query<{ result: StoredVerification }>('select result from verification where reference = $1', [reference]);
  return rows[0]?.result ?? null;
}

/** The latest stored verification of a household (by applicant) decided on or before a day. */
export async function latestVerificationOf(pool: pg.Pool, applicant: string): Promise<StoredVerification | null> {
  const { rows } = await pool.query<{ result: StoredVerification }>(
    'select result from verification where applicant_id_number = $1 order by decided_at desc limit 1',
    [applicant],
  );
  return rows[0]?.result ?? null;
}
