import DataLoader from 'dataloader';
import type pg from 'pg';
import type { HubContext } from '../../server/context.js';
import { perRequest } from '../../server/per-request.js';
import { batchByParent } from '../../server/connections.js';
import * as q from './queries.js';
import type { Address, AddressScope, CodePage, Division, Grid } from './queries.js';

/** A versioned record's key: its code, and the instant asked for (null: the current version). */
export interface VersionKey {
  code: string;
  at: Date | null;
}

const versionKey = (k: VersionKey) => `${k.code}@${k.at?.toISOString() ?? 'now'}`;

/** Batches look-ups of versioned records: one query per distinct instant in the batch. */
function versionLoader<T extends { code: string }>(fetch: (codes: string[], at: Date | null) => Promise<T[]>) {
  return new DataLoader<VersionKey, T | null, string>(
    async (keys) => {
      const instants = new Map<string, VersionKey[]>();
      for (const k of keys) instants.set(k.at?.toISOString() ?? 'now', [...(instants.get(k.at?.toISOString() ?? 'now') ?? []), k]);
      const found = new Map<string, T>();
      await Promise.all(
        [...instants.values()].map(async (group) => {
          for (const row of await fetch([...new Set(group.map((k) => k.code))], group[0].at)) {
            found.set(versionKey({ code: row.code, at: group[0].at }), row);
          }
        }),
      );
      return keys.map((k) => found.get(versionKey(k)) ?? null);
    },
    { cacheKeyFn: versionKey },
  );
}

function createSpatialLoaders(pool: pg.Pool) {
  return {
    byCode: new DataLoader<string, Division | null>(async (codes) => {
      const byCode = new Map((await q.divisionsByCode(pool, codes)).map((r) => [r.code, r]));
      return codes.map((c) => byCode.get(c) ?? null);
    }),
    children: new DataLoader<string, Division[]>(async (parents) => {
      const rows = await q.divisionsUnder(pool, parents);
      return parents.map((p) => rows.filter((r) => r.parentCode === p));
    }),
    grid: versionLoader<Grid>((codes, at) => q.gridsByCode(pool, codes, at)),
    address: versionLoader<Address>((codes, at) => q.addressesByCode(pool, codes, at)),
    // Connection fields, batched over the parents that ask with the same arguments.
    descendants: batchByParent<CodePage & { level: string }, Division[]>((codes, a) => q.descendantPages(pool, codes, a.level, a)),
    descendantCount: batchByParent<string, number>((codes, level) => q.countDescendants(pool, codes, level)),
    grids: batchByParent<CodePage, Grid[]>((codes, page) => q.gridPages(pool, codes, page)),
    gridCount: batchByParent<null, number>((codes) => q.countGrids(pool, codes)),
    addresses: batchByParent<CodePage & { scope: AddressScope }, Address[]>((codes, a) => q.addressPages(pool, a.scope, codes, a)),
    addressCount: batchByParent<AddressScope, number>((codes, scope) => q.countAddresses(pool, scope, codes)),
  };
}

const make = (ctx: HubContext) => createSpatialLoaders(ctx.hub.db.pool);

/**
 * Request-scoped spatial loaders. Any library's `Division` field resolves through `byCode`, a
 * `Grid` field through `grid` (key: code and instant).
 */
export const divisionLoaders = (ctx: HubContext) => perRequest(ctx, make);
export { type Division, type Grid, type Address } from './queries.js';
