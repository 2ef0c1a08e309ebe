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
