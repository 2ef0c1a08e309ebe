import DataLoader from 'dataloader';
import { badUserInput } from './errors.js';

/** A Relay connection (`edges`, `pageInfo`, `totalCount`) as resolvers return it. */
export interface Connection<T, E extends object = object> {
  edges: ({ node: T; cursor: string } & E)[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount?: number | (() => Promise<number>);
}

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
