import type pg from 'pg';
import { entitiesByCreditCode } from '../registries/legal-entities/queries.js';
import { householdsByNumber, membersOfHouseholds, personsByIdNumber, type PersonRow } from '../registries/population/queries.js';
import type { AsOf } from '../registries/records.js';
import type { SchemeItem } from './scheme.js';

/**
 * Where each of the scheme's items is gathered from. Every source answers for all members at once
 * (one round trip per source, not per member) with the value, the moment its data stood at, the
 * record version and the system that delivered it; or, when it cannot answer, `UNAVAILABLE` with
 * a reason. Nothing here ever turns a missing answer into an empty or zero value.
 */

export interface Gathered<V> {
  value: V;
  /** The latest moment the data gathered stood at (fetched or valid from), ISO 8601. */
  asOf: string;
  /** Record (resource) version(s) the value was read from. */
  version: string;
  /** The department system(s) that delivered it. */
  system: string;
}

export interface Unavailable {
  unavailable: true;
  reason: string;
  system: string;
}

export const unavailable = (system: string, reason: string): Unavailable => ({ unavailable: true, reason, system });
export const isUnavailable = (g: Gathered<unknown> | Unavailable): g is Unavailable => 'unavailable' in g;

export interface ItemSource<V = unknown> {
  /** `calls` hears of every call made at a department system (`lookup` sources), for the audit entry. */
  gather(members: readonly string[], asOf: AsOf, calls?: (call: SourceCall) => void): Promise<Gathered<V> | Unavailable>;
}

interface Provenanced {
  sourceSystem: string;
  resourceVersion: string;
  fetchedAt: string | Date;
  validFrom: string | Date;
}

const iso = (v: string | Date) => (v instanceof Date ? v : new Date(v)).toISOString();

/** The provenance summary of the rows a value was computed from. */
function provenanceOf(rows: Provenanced[], fallbackSystem: string, asOf: AsOf): Omit<Gathered<unknown>, 'value'> {
  const systems = [...new Set(rows.map((r) => r.sourceSystem))].sort();
  const versions = [...new Set(rows.map((r) => r.resourceVersion))].sort();
  const latest = rows.map((r) => iso(r.fetchedAt)).sort().at(-1);
  return { asOf: latest ?? asOf ?? new Date().toISOString(), version: versions.join(',') || 'none', system: systems.join(',') || fallbackSystem };
}

async function guarded<V>(system: string, work: () => Promise<Gathered<V> | Unavailable>): Promise<Gathered<V> | Unavailable> {
  try {
    return await work();
  } catch (err) {
    return unavailable(system, `read failed: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// (a) Base libraries

export interface RegisterHousehold {
  /** The applicant as the register holds them, or null (unknown). */
  applicant: PersonRow | null;
  householdNumber: string | null;
  divisionCode: string | null;
  /** Members of the applicant's register household (every status). */
  members: PersonRow[];
  /** Every declared ID number as the register holds it (null: unknown). */
  declared: Map<string, PersonRow | null>;
}

/** Item 1: the applicant's register household and every declared person, from the population library. */
export function populationSource(pool: pg.Pool) {
  return {
    async gather(applicant: string, declared: readonly string[], asOf: AsOf): Promise<Gathered<RegisterHousehold> | Unavailable> {
      return guarded('population', async () => {
        const persons = await personsByIdNumber(pool, [...new Set([applicant, ...declared])], asOf);
        const head = persons.get(applicant) ?? null;
        const number = head?.householdNumber ?? null;
        const [households, members] = number
          ? await Promise.all([householdsByNumber(pool, [number], asOf), membersOfHouseholds(pool, [number], asOf)])
          : [new Map(), []];
        const household = number ? (households.get(number) ?? null) : null;
        const rows: Provenanced[] = [...persons.values(), ...members, ...(household ? [household] : [])];
        return {
          value: {
            applicant: head,
            householdNumber: number,
            divisionCode: household?.divisionCode ?? head?.residenceDivisionCode ?? null,
            members,
            declared: new Map(declared.map((id) => [id, persons.get(id) ?? null])),
          },
          ...provenanceOf(rows, 'population', asOf),
        };
      });
    },
  };
}

export interface OwnedHome {
  unitNumber: string;
  usage: string;
  floorArea: number | null;
  share: number;
}

/** Item 5: residential units owned by each member, with the owner's share, from the property library. */
export function propertySource(pool: pg.Pool): ItemSource<Record<string, OwnedHome[]>> {
  return {
    gather: (members, asOf) =>
      guarded('property', async () => {
        const params: unknown[] = [members];
        if (asOf) params.push(asOf);
        const at = (a: string) => (asOf ? `${a}.valid_from <= $2 and (${a}.valid_to is null or ${a}.valid_to > $2)` : `${a}.valid_to is null`);
        // One join for every member; the library's `unitsOwnedBy` has no share, which the area needs.
        const { rows } = await pool.query<Provenanced & { owner: string; unitNumber: string; usage: string; floorArea: string | null; share: string }>(
          `select o.owner_id_number as owner, u.unit_number as "unitNumber", u.usage, u.floor_area as "floorArea", o.share,
             o.source_system as "sourceSystem", o.resource_version as "resourceVersion", o.fetched_at as "fetchedAt", o.valid_from as "validFrom"
           from property_ownership o join property_unit u on u.unit_number = o.unit_number and ${at('u')}
           where o.owner_id_number = any($1) and ${at('o')} order by o.owner_id_number, u.unit_number`,
          params,
        );
        const value: Record<string, OwnedHome[]> = Object.fromEntries(members.map((m) => [m, []]));
        for (const r of rows) value[r.owner].push({ unitNumber: r.unitNumber, usage: r.usage, floorArea: r.floorArea === null ? null : Number(r.floorArea), share: Number(r.share) });
        return { value, ...provenanceOf(rows, 'property', asOf) };
      }),
  };
}

export interface Holding {
  creditCode: string;
  name: string | null;
  kind: string | null;
  status: string | null;
  share: number;
}

/** Item 6: each member's shareholdings and the enterprises' kind and status, from the legal-entity library. */
export function shareholdingSource(pool: pg.Pool): ItemSource<Record<string, Holding[]>> {
  return {
    gather: (members, asOf) =>
      guarded('legal-entities', async () => {
        const params: unknown[] = [members];
        if (asOf) params.push(asOf);
        const at = asOf ? 'valid_from <= $2 and (valid_to is null or valid_to > $2)' : 'valid_to is null';
        const { rows: holdings } = await pool.query<Provenanced & { holder: string; creditCode: string; share: string }>(
          `select holder_id_number as holder, credit_code as "creditCode", share, source_system as "sourceSystem",
             resource_version as "resourceVersion", fetched_at as "fetchedAt", valid_from as "validFrom"
           from shareholding where holder_id_number = any($1) and ${at}`,
          params,
        );
        const codes = [...new Set(holdings.map((h) => h.creditCode))];
        const entities = codes.length ? await entitiesByCreditCode(pool, codes, asOf) : new Map();
        const value: Record<string, Holding[]> = Object.fromEntries(members.map((m) => [m, []]));
        for (const h of holdings) {
          const e = entities.get(h.creditCode);
          value[h.holder].push({ creditCode: h.creditCode, name: e?.name ?? null, kind: e?.kind ?? null, status: e?.status ?? null, share: Number(h.share) });
        }
        return { value, ...provenanceOf([...holdings, ...entities.values()], 'legal-entities', asOf) };
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// (b) Department resources stored by the connectors (`department_record`)

export type DepartmentRecords = Record<string, Record<string, Record<string, unknown>[]>>;

type RecordRow = Provenanced & { resource: string; subject: string; payload: Record<string, unknown> };

/**
 * Reads `department_record` for many sources at once: every read asked in the same turn of the
 * event loop (the items of one household, and of the households a batch verifies together) is
 * one query per moment. Which resources have delivered anything is remembered once seen (a
 * resource that has delivered records keeps them, as history).
 */
export class DepartmentRecordReader {
  private pending: { resources: readonly string[]; members: readonly string[]; asOf: AsOf; resolve: (rows: RecordRow[]) => void; reject: (err: unknown) => void }[] = [];
  private readonly delivered = new Set<string>();
  private personKeys: Promise<Map<string, string[]>> | null = null;

  constructor(private readonly pool: pg.Pool) {}

  /**
   * Further person keys a record is found by, per resource (the catalogue declaration's
   * `foundBy` items naming an ID number: a marriage's other party), read once. Only ID numbers:
   * members are persons.
   */
  private foundBy(): Promise<Map<string, string[]>> {
    this.personKeys ??= this.pool
      .query<{ code: string; items: string[] }>(
        `select code, array(select jsonb_array_elements_text(declaration->'foundBy')) as items
         from catalog_resource where retired_at is null and jsonb_typeof(declaration->'foundBy') = 'array'`,
      )
      .then(({ rows }) => new Map(rows.map((r) => [r.code, r.items.filter((i) => /^[a-z][A-Za-z0-9]*IdNumber$/.test(i))]).filter(([, items]) => items.length > 0) as [string, string[]][]))
      .catch((err: unknown) => {
        this.personKeys = null;
        throw err;
      });
    return this.personKeys;
  }

  read(resources: readonly string[], members: readonly string[], asOf: AsOf): Promise<RecordRow[]> {
    return new Promise((resolve, reject) => {
      if (!this.pending.length) setImmediate(() => void this.flush());
      this.pending.push({ resources, members, asOf, resolve, reject });
    });
  }

  /** The resources of which no record at all was delivered (by `asOf`). */
  async undelivered(resources: readonly string[], asOf: AsOf): Promise<string[]> {
    const unknown = asOf ? [...resources] : resources.filter((r) => !this.delivered.has(r));
    if (!unknown.length) return [];
    const { rows } = await this.pool.query<{ resource: string }>(
      `select r as resource from unnest($1::text[]) r
       where exists (select 1 from department_record where resource_code = r ${asOf ? 'and valid_from <= $2' : ''})`,
      asOf ? [unknown, asOf] : [unknown],
    );
    const present = new Set(rows.map((r) => r.resource));
    if (!asOf) for (const r of present) this.delivered.add(r);
    return unknown.filter((r) => !present.has(r));
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const byMoment = new Map<AsOf, typeof batch>();
    for (const b of batch) byMoment.set(b.asOf, [...(byMoment.get(b.asOf) ?? []), b]);
    await Promise.all(
      [...byMoment].map(async ([asOf, calls]) => {
        try {
          const resources = [...new Set(calls.flatMap((c) => c.resources))];
          const members = [...new Set(calls.flatMap((c) => c.members))];
          const params: unknown[] = [resources, members];
          if (asOf) params.push(asOf);
          const at = asOf ? 'valid_from <= $3 and (valid_to is null or valid_to > $3)' : 'valid_to is null';
          const foundBy = await this.foundBy();
          // Names come from validated declarations (codes and item names are restricted patterns), quoted all the same.
          const lit = (v: string) => `'${v.replaceAll("'", "''")}'`;
          const arms = ['subject = any($2)', ...resources.flatMap((r) => (foundBy.get(r) ?? []).map((i) => `(resource_code = ${lit(r)} and payload->>${lit(i)} = any($2))`))];
          const { rows } = await this.pool.query<RecordRow>(
            `select resource_code as resource, subject, payload, source_system as "sourceSystem", resource_version as "resourceVersion",
               fetched_at as "fetchedAt", valid_from as "validFrom"
             from department_record where resource_code = any($1) and (${arms.join(' or ')}) and ${at} order by resource_code, subject, record_key`,
            params,
          );
          // A record is about each member it names by a key: a marriage is in both spouses' lists.
          const about = (r: RecordRow) =>
            [...new Set([r.subject, ...(foundBy.get(r.resource) ?? []).map((i) => r.payload[i])].filter((v): v is string => typeof v === 'string').map((v) => v.toUpperCase()))];
          for (const c of calls) {
            const rs = new Set(c.resources);
            const ms = new Set(c.members);
            c.resolve(rows.flatMap((r) => (rs.has(r.resource) ? about(r).filter((m) => ms.has(m)).map((m) => ({ ...r, subject: m })) : [])));
          }
        } catch (err) {
          for (const c of calls) c.reject(err);
        }
      }),
    );
  }
}

/**
 * Items read from `department_record` by (resource_code, subject): the current rows, or those valid
 * at `asOf`. A resource of which the hub holds no record at all (its connector never delivered)
 * is `UNAVAILABLE`: an empty answer there would read a missing source as "nothing to declare".
 */
export function departmentRecordSource(reader: DepartmentRecordReader, resources: readonly string[]): ItemSource<DepartmentRecords> {
  return {
    gather: (members, asOf) =>
      guarded(resources.join(','), async () => {
        const [rows, missing] = await Promise.all([reader.read(resources, members, asOf), reader.undelivered(resources, asOf)]);
        if (missing.length) return unavailable(resources.join(','), `no records delivered yet for ${missing.join(', ')}`);
        const value: DepartmentRecords = Object.fromEntries(resources.map((r) => [r, Object.fromEntries(members.map((m) => [m, []]))]));
        for (const r of rows) value[r.resource][r.subject].push(r.payload);
        return { value, ...provenanceOf(rows, resources.join(','), asOf) };
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// (c) `lookup` sources: data that stays at the department, asked over HTTP at query time

export interface FinancialAssets {
  deposits: number;
  wealthProducts: number;
  securities: number;
}

/**
 * The hub's query-time `lookup` sources (`src/registries/department/`: timeout, TTL cache,
 * breaker), as far as verification needs them; described by shape so that this folder depends on
 * no more of that folder than it uses (`LookupSources` is one).
 */
export interface QueryTimeLookups {
  forResource(resource: string):
    | {
        /** `department/system`, as calls are named in the audit trail. */
        readonly name: string;
        readonly definition: { readonly baseUrl: string | null; readonly timeoutMs?: number };
        lookup(resource: string, subject: string): Promise<
          { ok: true; records: Record<string, unknown>[]; fetchedAt: string; from?: string } | { ok: false; reason: string; detail: string }
        >;
      }
    | undefined;
}

/** One call a source made at a department system, for the audit entry (`call:<name>:<outcome>`). */
export interface SourceCall {
  resource: string;
  name: string;
  subject: string;
  outcome: string;
}

/** Why a lookup gave nothing, in words an item's reason can carry. */
function failure(resource: string, answer: { reason: string; detail: string }, timeoutMs: number | undefined): string {
  if (answer.reason === 'timeout') return `${resource}: no answer within ${timeoutMs ?? '?'} ms`;
  if (answer.reason === 'breaker-open') return `${resource}: breaker open after repeated failures; the source is not asked for now`;
  if (answer.reason === 'not-configured') return `${resource}: no lookup source configured (${answer.detail})`;
  return `${resource}: ${answer.reason} (${answer.detail})`;
}

/**
 * Item 12 through the hub's `lookup` sources: deposits (`balance`; `kind: wealth` is a wealth
 * product) and securities (`marketValue`), every member and both resources asked in parallel,
 * each call within the source's timeout, cache and breaker and reported to `calls` for the
 * request's audit entry. Any answer missing, refused or without its number makes the item
 * `UNAVAILABLE`.
 */
export function departmentLookupSource(lookups: QueryTimeLookups | null, deposits: string, securities: string): ItemSource<Record<string, FinancialAssets>> {
  return {
    async gather(members, _asOf, calls) {
      const depositSource = lookups?.forResource(deposits);
      const securitiesSource = lookups?.forResource(securities);
      const system = depositSource?.name ?? 'financial-institutions';
      if (!depositSource || !securitiesSource) return unavailable(system, `no lookup source for ${deposits} and ${securities}`);
      const ask = (source: NonNullable<typeof depositSource>, resource: string) =>
        Promise.all(
          members.map(async (m) => {
            const answer = await source.lookup(resource, m);
            calls?.({ resource, name: source.name, subject: m, outcome: answer.ok ? (answer.from ?? 'source') : answer.reason });
            return answer;
          }),
        );
      const [dep, sec] = await Promise.all([ask(depositSource, deposits), ask(securitiesSource, securities)]);
      const value: Record<string, FinancialAssets> = {};
      const times: string[] = [];
      for (const [i, m] of members.entries()) {
        const d = dep[i];
        const s = sec[i];
        if (!d.ok) return unavailable(depositSource.name, failure(deposits, d, depositSource.definition.timeoutMs));
        if (!s.ok) return unavailable(securitiesSource.name, failure(securities, s, securitiesSource.definition.timeoutMs));
        times.push(d.fetchedAt, s.fetchedAt);
        const num = (r: Record<string, unknown>, field: string) => (typeof r[field] === 'number' && Number.isFinite(r[field]) ? (r[field] as number) : null);
        let deposit = 0;
        let wealth = 0;
        let held = 0;
        for (const r of d.records) {
          const n = num(r, 'balance');
          if (n === null) return unavailable(depositSource.name, `${deposits}: a record without balance`);
          if (r.kind === 'wealth') wealth += n;
          else deposit += n;
        }
        for (const r of s.records) {
          const n = num(r, 'marketValue');
          if (n === null) return unavailable(securitiesSource.name, `${securities}: a record without marketValue`);
          held += n;
        }
        value[m] = { deposits: Math.round(deposit * 100) / 100, wealthProducts: Math.round(wealth * 100) / 100, securities: Math.round(held * 100) / 100 };
      }
      const systems = [...new Set([depositSource.name, securitiesSource.name])].join(',');
      return { value, asOf: times.sort().at(-1) ?? new Date().toISOString(), version: 'lookup', system: systems };
    },
  };
}

/** Every item's source (except the household's own), built from the scheme's declarations. */
export function sourcesFor(items: readonly SchemeItem[], pool: pg.Pool, lookups: QueryTimeLookups | null): Map<string, ItemSource> {
  const sources = new Map<string, ItemSource>();
  const reader = new DepartmentRecordReader(pool);
  for (const item of items) {
    const s = item.source;
    if (s.kind === 'base-library') {
      if (s.library === 'property') sources.set(item.key, propertySource(pool));
      else if (s.library === 'legal-entities') sources.set(item.key, shareholdingSource(pool));
    } else if (s.kind === 'department-record') sources.set(item.key, departmentRecordSource(reader, s.resources));
    else {
      // The hub's one set of lookup sources (the `lookup` connector definitions) answers item 12.
      const [deposits, securities] = s.resources ?? [item.resource, item.resource];
      sources.set(item.key, departmentLookupSource(lookups, deposits, securities));
    }
  }
  return sources;
}
