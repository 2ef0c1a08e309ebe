import type pg from 'pg';
import { subjectKey } from '../../access/index.js';
import { inTransaction } from '../../db/index.js';

/**
 * Records of department resources that are not base libraries (`department_record`): one current
 * row per (resource, record key), older versions closed by `valid_to`, found by subject. This
 * folder reads them for the contract and the verification; the connector runtime writes them
 * (`upsertDepartmentRecord` is the same write, for tests, seeds and small loaders).
 */
export interface DepartmentRecord {
  resource: string;
  recordKey: string;
  /** Whom the record is about (ID number or credit code, upper case), if the resource has a subject. */
  subject: string | null;
  /** The record as mapped onto the resource's record schema: data item name → value. */
  payload: Record<string, unknown>;
  sourceSystem: string;
  sourceKey: string;
  resourceVersion: string;
  fetchedAt: string;
  appliedAt: string;
  validFrom: string;
  validTo: string | null;
}

export interface DepartmentRecordInput {
  resource: string;
  recordKey: string;
  subject?: string | null;
  payload: Record<string, unknown>;
  sourceSystem: string;
  /** The record's key in its source system. (Default: `recordKey`) */
  sourceKey?: string;
  /** Catalogue version of the resource the record was validated against. (Default: `1`) */
  resourceVersion?: string | number;
  /** When it was fetched. (Default: now) */
  fetchedAt?: Date | string;
}

type Db = pg.Pool | pg.PoolClient;
const isClient = (db: Db): db is pg.PoolClient => 'release' in db;

const COLUMNS = `resource_code as resource, record_key as "recordKey", subject, payload, source_system as "sourceSystem",
  source_key as "sourceKey", resource_version as "resourceVersion",
  to_json(fetched_at)#>>'{}' as "fetchedAt", to_json(applied_at)#>>'{}' as "appliedAt",
  to_json(valid_from)#>>'{}' as "validFrom", to_json(valid_to)#>>'{}' as "validTo"`;

/**
 * Writes one record with history: a new record is inserted; a changed one closes the current
 * version and inserts the next; an unchanged one (same subject and payload) is left alone. Runs in
 * the caller's transaction when given a client, else in one of its own.
 */
export async function upsertDepartmentRecord(db: Db, input: DepartmentRecordInput): Promise<'inserted' | 'updated' | 'unchanged'> {
  if (!isClient(db)) return inTransaction(db, (client) => upsertDepartmentRecord(client, input));
  const subject = input.subject ? subjectKey(input.subject) : null;
  const current = await db.query<{ id: string; same: boolean }>(
    `select version_id::text as id, payload = $3::jsonb and subject is not distinct from $4 as same
     from department_record where resource_code = $1 and record_key = $2 and valid_to is null for update`,
    [input.resource, input.recordKey, JSON.stringify(input.payload), subject],
  );
  if (current.rows[0]?.same) return 'unchanged';
  // clock_timestamp, not now(): two versions written in one transaction must not share an instant.
  if (current.rows[0]) await db.query('update department_record set valid_to = clock_timestamp() where version_id = $1', [current.rows[0].id]);
  await db.query(
    `insert into department_record (resource_code, record_key, subject, payload, source_system, source_key, resource_version, fetched_at, valid_from)
     values ($1, $2, $3, $4, $5, $6, $7, $8, clock_timestamp())`,
    [
      input.resource,
      input.recordKey,
      subject,
      JSON.stringify(input.payload),
      input.sourceSystem,
      input.sourceKey ?? input.recordKey,
      String(input.resourceVersion ?? 1),
      input.fetchedAt ? new Date(input.fetchedAt) : new Date(),
    ],
  );
  return current.rows[0] ? 'updated' : 'inserted';
}

/** A data item name, safe to write into SQL as a JSON key (declarations allow no other). */
const ITEM = /^[a-z][A-Za-z0-9]*$/;

/**
 * The records of `resource` about each subject (ID numbers or credit codes), as they stood at
 * `asOf` (ISO instant; default: the current versions), in one round trip, ordered by record key.
 * Every subject asked gets an entry (empty when it has no records). `foundBy` names further items
 * a record is found by (a marriage's other party, a grid event's division: the declaration's
 * `foundBy`); `bySubject: false` looks only there (a resource stored without a subject). No access
 * policy is applied: callers answering a request go through the contract (or apply the guard themselves).
 */
export async function readDepartmentRecords(
  db: Db,
  resource: string,
  subjects: readonly string[],
  options: { asOf?: string | null; limitPerSubject?: number; foundBy?: readonly string[]; bySubject?: boolean } = {},
): Promise<Map<string, DepartmentRecord[]>> {
  const keys = [...new Set(subjects.map(subjectKey))];
  const found = new Map<string, DepartmentRecord[]>(keys.map((k) => [k, []]));
  if (!keys.length) return found;
  const foundBy = [...(options.foundBy ?? [])];
  const bad = foundBy.find((f) => !ITEM.test(f));
  if (bad) throw new Error(`${resource}: "${bad}" is not an item name`);
  const bySubject = options.bySubject ?? true;
  if (!bySubject && !foundBy.length) return found;
  // Subjects are written upper case here; a loader that kept a lowercase x is found too (both forms
  // asked, so the (resource_code, subject) index still serves). Each `foundBy` item is one more arm
  // of an OR, served by its own partial index where one is declared (migration 20261204300002).
  const asked = [...new Set([...keys, ...subjects.map((s) => s.trim())])];
  const asOf = options.asOf ?? null;
  const when = asOf === null ? 'valid_to is null' : 'valid_from <= $3::timestamptz and (valid_to is null or valid_to > $3::timestamptz)';
  const arms = [...(bySubject ? ['subject = any($2)'] : []), ...foundBy.map((f) => `payload->>'${f}' = any($2)`)];
  const { rows } = await db.query<DepartmentRecord>(
    `select ${COLUMNS} from department_record where resource_code = $1 and (${arms.join(' or ')}) and ${when} order by record_key`,
    asOf === null ? [resource, asked] : [resource, asked, asOf],
  );
  const limit = options.limitPerSubject ?? Infinity;
  for (const row of rows) {
    // A record is about each of its keys: a marriage asked by both parties is in both lists.
    const about = new Set([...(bySubject && row.subject ? [row.subject] : []), ...foundBy.map((f) => row.payload[f]).filter((v): v is string => typeof v === 'string')].map(subjectKey));
    for (const key of about) {
      const list = found.get(key);
      if (list && list.length < limit) list.push(row);
    }
  }
  return found;
}
