import DataLoader from 'dataloader';
import type pg from 'pg';
import type { Provenance } from '../db/index.js';
import { parseAsOf as parseAsOfInstant } from '../server/as-of.js';
import type { SearchOrder } from '../server/connections.js';
import { badUserInput } from '../server/errors.js';

/**
 * What every base-library record shares: provenance and history (valid_from / valid_to), the
 * `asOf` argument, and request-scoped loaders that answer as records stood at a moment (Relay
 * connections page by keyset, as everywhere: `server/connections.ts`). Each library builds its queries and resolvers from these.
 */

/** A moment in ISO 8601, or null for "now" (the current versions). */
export type AsOf = string | null;

/** Every record carries the moment it was read at, so its cross-links answer for the same moment. */
export interface Versioned extends Provenance {
  asOf: AsOf;
  validFrom: string;
  validTo: string | null;
}

export { VERSION_COLUMNS, versionColumns } from '../db/index.js';

/**
 * `asOf` as given by a caller (an existing ISO date, meaning its start in UTC, or a date-time with
 * an offset), as an ISO instant; null for now.
 */
export function parseAsOf(asOf: string | null | undefined, argument = 'asOf'): AsOf {
  return asOf === null || asOf === undefined ? null : parseAsOfInstant(asOf, argument).toISOString();
}

/**
 * SQL condition for "the version valid at `asOf`" (`$param` holds it), or the current version.
 * The current-version form matches the partial unique indexes (`where valid_to is null`).
 */
export function validAt(asOf: AsOf, param: number, alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return asOf === null
    ? `${a}valid_to is null`
    : `${a}valid_from <= $${param}::timestamptz and (${a}valid_to is null or ${a}valid_to > $${param}::timestamptz)`;
}

/**
 * The key condition of a by-key look-up on `$1`: `column = $1` for a single key, which binds and
 * plans markedly cheaper than an array (the common case: one record per request), and
 * `column = any($1)` for a batch. `form` names the prepared statement's variant.
 */
export function keyed(column: string, keys: readonly string[]): { condition: string; value: string | readonly string[]; form: string } {
  return keys.length === 1
    ? { condition: `${column} = $1`, value: keys[0], form: 'one' }
    : { condition: `${column} = any($1)`, value: keys, form: 'many' };
}

/** Marks rows with the moment they were read at, for their cross-links. */
export function readAt<R extends { asOf: AsOf }>(rows: R[], asOf: AsOf): R[] {
  for (const r of rows) r.asOf = asOf;
  return rows;
}

/** Query parameters to go with `validAt`: the moment, when there is one. */
export const asOfParams = (asOf: AsOf): string[] => (asOf === null ? [] : [asOf]);

export interface AtKey {
  key: string;
  asOf: AsOf;
}

/**
 * A DataLoader over keys read at a moment: one batch call per distinct moment (in practice one
 * per request), each answered by `fetch` with a map from key to value.
 */
export function atLoader<V>(fetch: (keys: string[], asOf: AsOf) => Promise<Map<string, V>>, missing: () => V) {
  return new DataLoader<AtKey, V, string>(
    async (atKeys) => {
      const moments = new Map<AsOf, string[]>();
      for (const { key, asOf } of atKeys) {
        const keys = moments.get(asOf) ?? [];
        keys.push(key);
        moments.set(asOf, keys);
      }
      const answers = new Map<AsOf, Map<string, V>>();
      await Promise.all([...moments].map(async ([asOf, keys]) => answers.set(asOf, await fetch(keys, asOf))));
      return atKeys.map(({ key, asOf }) => answers.get(asOf)!.get(key) ?? missing());
    },
    { cacheKeyFn: ({ key, asOf }) => `${asOf ?? ''}|${key}` },
  );
}

/** Groups rows by a key, keeping their order (for one-to-many loaders). */
export function groupBy<R>(rows: R[], keyOf: (row: R) => string): Map<string, R[]> {
  const groups = new Map<string, R[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/** Resolvers of the fields every versioned type shares. */
export const versionResolvers = {
  provenance: (r: Versioned) => ({
    sourceSystem: r.sourceSystem,
    sourceKey: r.sourceKey,
    resourceCode: r.resourceCode,
    resourceVersion: r.resourceVersion,
    fetchedAt: r.fetchedAt,
    appliedAt: r.appliedAt,
  }),
};

/** YYYY-MM-DD, a real day (checked at the edge too, by `server/plugins/input.ts`). */
export { parseDay } from '../server/as-of.js';

/**
 * The code prefix shared by a division and everything under it, for filters at any level:
 * 430000 → 43, 431100 → 4311, 431103 → 431103, 431103001 → 431103001. Unknown codes are refused.
 */
export async function divisionPrefix(pool: pg.Pool, code: string | null | undefined, argument: string): Promise<string | null> {
  if (code === null || code === undefined) return null;
  if (!/^(\d{6}|\d{9}|\d{12})$/.test(code)) throw badUserInput(argument, 'a division code has 6, 9 or 12 digits');
  const { rows } = await pool.query<{ level: string }>('select level from division where code = $1', [code]);
  if (!rows.length) throw badUserInput(argument, 'unknown division');
  return rows[0].level === 'province' ? code.slice(0, 2) : rows[0].level === 'prefecture' ? code.slice(0, 4) : code;
}

/**
 * A fuzzy name condition that the trigram index (pg_trgm, GIN) can serve, and the order it
 * implies. Trigram similarity for two characters or more, and from three a substring match too
 * (a shorter LIKE pattern has no trigram to look up); a single character matches as a prefix
 * (a surname). `param` adds a query parameter and returns its placeholder.
 */
export function nameMatch(name: string, param: (value: unknown) => string, key: string): { condition: string; order: SearchOrder } {
  const chars = [...name].length;
  if (chars === 1) return { condition: `name like ${param(`${escapeLike(name)}%`)}`, order: { rank: null, key } };
  const similar = param(name);
  const condition = chars >= 3 ? `(name % ${similar} or name like ${param(`%${escapeLike(name)}%`)})` : `name % ${similar}`;
  return { condition, order: { rank: `similarity(name, ${similar})`, key } };
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, '\\$&');
