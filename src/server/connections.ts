import DataLoader from 'dataloader';
import { badUserInput } from './errors.js';

/** A Relay connection (`edges`, `pageInfo`, `totalCount`) as resolvers return it. */
export interface Connection<T, E extends object = object> {
  edges: ({ node: T; cursor: string } & E)[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount?: number | (() => Promise<number>);
}

/**
 * One way to page, everywhere in the contract: keyset (the position of the last row seen, never an
 * offset), one page-size limit, one cursor format. A cursor is the row's sort key (base64url of
 * its JSON array); a connection asks for `first + 1` rows after it, and the extra row only says
 * whether a next page exists. Paging is forward (`first`/`after`): `hasPreviousPage` is false, as
 * the Relay connection spec allows for forward paging.
 */

/** Page size when `first` is omitted, and the most one page may hold. */
export const DEFAULT_PAGE = 20;
export const MAX_PAGE = 500;

export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) throw badUserInput('first', `must be between 0 and ${MAX_PAGE}`);
  return first;
}

/** Cursors are opaque to callers: the keyset position of a row, base64url-encoded JSON. */
export const encodeCursor = (key: readonly (string | number)[]) => Buffer.from(JSON.stringify(key)).toString('base64url');

export function decodeCursor(after: string | null | undefined, shape: readonly ('string' | 'number')[]): (string | number)[] | null {
  if (after === null || after === undefined) return null;
  try {
    const key: unknown = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === shape.length && key.every((v, i) => typeof v === shape[i])) return key;
  } catch {
    // falls through to the error below
  }
  throw badUserInput('after', 'not a cursor this list gave out');
}

/**
 * Builds a connection from one page of rows fetched with `limit first + 1` (the extra row only
 * tells whether there is a next page).
 */
export function toConnection<R, T, E extends object = object>(
  rows: R[],
  first: number,
  key: (row: R) => (string | number)[],
  node: (row: R) => T,
  edge: (row: R) => E = () => ({}) as E,
  totalCount?: () => Promise<number>,
): Connection<T, E> {
  const page = rows.slice(0, first);
  const edges = page.map((r) => ({ node: node(r), cursor: encodeCursor(key(r)), ...edge(r) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}

/**
 * The order of a search: best `rank` first (an SQL expression such as a trigram similarity, of
 * type `real`), then the unique `key` column; or the key alone when `rank` is null. Paged on
 * (rank, key), so a similarity-ordered search pages by keyset like any other list.
 */
export interface SearchOrder {
  rank: string | null;
  key: string;
}

/** `order by` for a search order. */
export const orderBy = (order: SearchOrder) => (order.rank ? `${order.rank} desc, ${order.key}` : order.key);

/** The cursor's shape for a search order: [rank, key] or [key]. */
const shapeOf = (order: SearchOrder): ('string' | 'number')[] => (order.rank ? ['number', 'string'] : ['string']);

/**
 * One page of a search: its size, and the SQL condition "after the cursor" (null on the first
 * page); `param` adds a query parameter and returns its placeholder.
 */
export function searchPage(
  args: { first?: number | null; after?: string | null },
  order: SearchOrder,
  param: (value: unknown) => string,
): { first: number; condition: string | null } {
  const first = pageSize(args.first);
  const after = decodeCursor(args.after, shapeOf(order));
  if (!after) return { first, condition: null };
  if (!order.rank) return { first, condition: `${order.key} > ${param(after[0])}` };
  const rank = param(after[0]);
  const key = param(after[1]);
  return { first, condition: `(${order.rank} < ${rank}::real or (${order.rank} = ${rank}::real and ${order.key} > ${key}))` };
}

/** The select-list entry carrying a row's rank for its cursor (`pageRank`; null when unranked). */
export const rankColumn = (order: SearchOrder) => `${order.rank ?? 'null::real'} as "pageRank"`;

/** A connection from one page of search rows fetched with `limit first + 1`, selected with `rankColumn`. */
export function searchConnection<R extends { pageRank?: number | null }>(
  rows: R[],
  first: number,
  order: SearchOrder,
  keyOf: (row: R) => string,
  totalCount?: () => Promise<number>,
): Connection<R> {
  return toConnection(rows, first, (r) => (order.rank ? [Number(r.pageRank), keyOf(r)] : [keyOf(r)]), (r) => r, undefined, totalCount);
}

/**
 * A request-scoped batch of one connection field over many parents (a division's grids, its
 * components…): the parents asked with the same arguments share one query, which answers one
 * value per parent, in order.
 */
export function batchByParent<A, V>(fetch: (parents: string[], args: A) => Promise<V[]>) {
  const key = (k: { parent: string; args: A }) => JSON.stringify([k.parent, k.args]);
  return new DataLoader<{ parent: string; args: A }, V, string>(
    async (keys) => {
      const groups = new Map<string, { args: A; parents: string[] }>();
      for (const k of keys) {
        const id = JSON.stringify(k.args);
        const group = groups.get(id) ?? { args: k.args, parents: [] };
        groups.set(id, group);
        group.parents.push(k.parent);
      }
      const found = new Map<string, V>();
      await Promise.all(
        [...groups.values()].map(async ({ args, parents }) => {
          const values = await fetch(parents, args);
          parents.forEach((parent, i) => found.set(key({ parent, args }), values[i]));
        }),
      );
      return keys.map((k) => found.get(key(k))!);
    },
    { cacheKeyFn: key },
  );
}

/** Rows of a batched query tagged with their parent's position (`ord`, from 1), grouped per parent. */
export function groupByOrdinal<R extends { ord: string | number }>(rows: R[], parents: number): Omit<R, 'ord'>[][] {
  const pages: Omit<R, 'ord'>[][] = Array.from({ length: parents }, () => []);
  for (const { ord, ...row } of rows) pages[Number(ord) - 1].push(row);
  return pages;
}
