import type pg from 'pg';

/**
 * Versioned records with provenance. A versioned table holds every state a record has had: the
 * columns `valid_from`/`valid_to` (null while current) bound each version, an exclusion
 * constraint keeps one record's versions from overlapping, and the provenance columns say which
 * department system and record the version came from, under which catalogue resource.
 */

export interface Provenance {
  /** Department system, e.g. `natural-resources/address-registry`. */
  sourceSystem: string;
  /** The record's key in that system. */
  sourceKey: string;
  /** Catalogue resource code and the version of its declaration, e.g. `spatial.address`, `1.0`. */
  resourceCode: string;
  resourceVersion: string;
  fetchedAt: string;
  appliedAt: string;
}

/**
 * Version and provenance columns, under the names `withProvenance` and the libraries read. Moments
 * come as ISO 8601 text in UTC (`2026-03-01T02:00:00.000Z`) straight from PostgreSQL, the same in
 * every library, so no Date is built for a field nobody asked for.
 */
export function versionColumns(alias = ''): string {
  const a = alias ? `${alias}.` : '';
  const iso = (column: string) => `to_char(${a}${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  return `${iso('valid_from')} as "validFrom", ${iso('valid_to')} as "validTo",
  ${a}source_system as "sourceSystem", ${a}source_key as "sourceKey", ${a}resource_code as "resourceCode",
  ${a}resource_version as "resourceVersion", ${iso('fetched_at')} as "fetchedAt", ${iso('applied_at')} as "appliedAt"`;
}

export const VERSION_COLUMNS = versionColumns();

/** Moves the provenance columns of a row read with `VERSION_COLUMNS` into its `provenance` object. */
export function withProvenance<T>(row: Record<string, unknown>): T {
  const { sourceSystem, sourceKey, resourceCode, resourceVersion, fetchedAt, appliedAt, ...rest } = row;
  return { ...rest, provenance: { sourceSystem, sourceKey, resourceCode, resourceVersion, fetchedAt, appliedAt } } as T;
}

/** SQL condition for the version valid at parameter `$param` (an instant), or the current version when `at` is null. */
export const versionAt = (at: Date | null, param: number) =>
  at ? `valid_from <= $${param} and (valid_to is null or valid_to > $${param})` : 'valid_to is null';

/** A versioned table: its name, the columns that identify a record, and the typed columns of its state. */
export interface VersionedTable {
  table: string;
  key: readonly string[];
  /** [column, PostgreSQL type], e.g. ['status', 'text'], ['location', 'point']. */
  state: readonly (readonly [string, string])[];
}

export interface IncomingVersion {
  /** Key and state column values, by column name. */
  values: Record<string, unknown>;
  /** When the source says the record took this state: the new version's `valid_from`. */
  changedAt: Date;
  source: { system: string; key: string; resourceCode: string; resourceVersion: string; fetchedAt: Date };
}

export type Applied = 'created' | 'changed' | 'unchanged' | 'stale';

/**
 * Applies one record's state as its source delivered it, in the caller's transaction. A new
 * record gets its first version; a changed one closes its current version at `changedAt` and
 * opens the next; the same state again changes nothing (deliveries are idempotent); a state dated
 * before the current version began is refused as `stale` (late arrivals do not rewrite history).
 * Table and column names come from the library's own constants, never from input.
 */
export async function applyVersion(client: pg.ClientBase, spec: VersionedTable, incoming: IncomingVersion): Promise<Applied> {
  const state = spec.state.map(([column]) => column);
  const params = [...spec.key, ...state].map((c) => incoming.values[c]);
  const keyWhere = spec.key.map((k, i) => `${k} = $${i + 1}`).join(' and ');
  // Compared as text after casting the incoming value to the column's type: some types (point) have no `=`.
  const same = spec.state
    .map(([column, type], i) => `${column}::text is not distinct from $${spec.key.length + i + 1}::${type}::text`)
    .join(' and ');
  const { rows } = await client.query<{ version_id: string; valid_from: Date; same: boolean }>(
    `select version_id, valid_from, ${same} as same from ${spec.table} where ${keyWhere} and valid_to is null for update`,
    params,
  );
  const current = rows[0];
  if (current?.same) return 'unchanged';
  if (current && current.valid_from >= incoming.changedAt) return 'stale';
  if (current) await client.query(`update ${spec.table} set valid_to = $1 where version_id = $2`, [incoming.changedAt, current.version_id]);
  const { source } = incoming;
  const columns = [...spec.key, ...state, 'source_system', 'source_key', 'resource_code', 'resource_version', 'fetched_at', 'valid_from'];
  await client.query(
    `insert into ${spec.table} (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
    [...params, source.system, source.key, source.resourceCode, source.resourceVersion, source.fetchedAt, incoming.changedAt],
  );
  return current ? 'changed' : 'created';
}
