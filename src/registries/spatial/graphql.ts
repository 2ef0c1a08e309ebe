import type { IResolvers } from '@graphql-tools/utils';
import { parseAsOf } from '../../server/as-of.js';
import { decodeCursor, pageSize, toConnection } from '../../server/connections.js';
import type { HubContext } from '../../server/context.js';
import { badUserInput } from '../../server/errors.js';
import { checkAddressCode, checkCoordinates, checkDivisionCode, checkGridCode, descendantPrefix, type CodeCheck } from './codes.js';
import { divisionLoaders } from './loaders.js';
import * as q from './queries.js';
import type { Address, Division, Grid } from './queries.js';

type Page = { first?: number | null; after?: string | null };

/** Throws `BAD_USER_INPUT` naming the argument when a code is malformed. */
export function requireValid(argument: string, check: CodeCheck): void {
  if (!check.ok) throw badUserInput(argument, check.reason);
}

/** The division a well-formed code names (current or retired); `BAD_USER_INPUT` when there is none. */
export async function requireDivision(ctx: HubContext, argument: string, code: string): Promise<Division> {
  requireValid(argument, checkDivisionCode(code));
  const division = await divisionLoaders(ctx).byCode.load(code);
  if (!division) throw badUserInput(argument, `unknown division ${code}`);
  return division;
}

/** A connection of rows keyed and paged by `code`. */
async function codeConnection<T extends { code: string }>(
  args: Page,
  load: (page: q.CodePage) => Promise<T[]>,
  count: () => Promise<number>,
) {
  const first = pageSize(args.first);
  const after = (decodeCursor(args.after, ['string'])?.[0] as string | undefined) ?? '';
  return toConnection(await load({ after, limit: first + 1 }), first, (r) => [r.code], (r) => r, undefined, count);
}

export const spatialResolvers: IResolvers<unknown, HubContext> = {
  Query: {
    division: (_root, { code }: { code: string }, ctx) => {
      requireValid('code', checkDivisionCode(code));
      return divisionLoaders(ctx).byCode.load(code);
    },
    divisions: (_root, { parentCode }: { parentCode?: string | null }, ctx) => {
      if (parentCode === undefined || parentCode === null) return q.provinces(ctx.hub.db.pool);
      requireValid('parentCode', checkDivisionCode(parentCode));
      return divisionLoaders(ctx).children.load(parentCode);
    },
    locate: async (_root, { lng, lat }: { lng: number; lat: number }, ctx) => {
      const bad = checkCoordinates(lng, lat);
      if (bad) throw badUserInput(bad.argument, bad.reason);
      const found = await q.locatePoint(ctx.hub.db.pool, lng, lat);
      if (!found.divisions.length) return null;
      for (const d of found.divisions) divisionLoaders(ctx).byCode.prime(d.code, d);
      // Widest first; on a shared edge two cells of one level hold the point: keep the first of
      // the deepest level and the chain of divisions above it.
      const deepestLevel = found.divisions.at(-1)!.level;
      const chosen = found.divisions.find((d) => d.level === deepestLevel)!;
      const chain = found.divisions.filter((d) => chosen.code.startsWith(descendantPrefix(d.code)));
      return {
        division: chosen,
        divisions: chain,
        grid: found.grid ? divisionLoaders(ctx).grid.load({ code: found.grid, at: null }) : null,
      };
    },
    grid: (_root, { code, asOf }: { code: string; asOf?: string | null }, ctx) => {
      requireValid('code', checkGridCode(code));
      return divisionLoaders(ctx).grid.load({ code, at: asOf ? parseAsOf(asOf) : null });
    },
    address: (_root, { code, asOf }: { code: string; asOf?: string | null }, ctx) => {
      requireValid('code', checkAddressCode(code));
      return divisionLoaders(ctx).address.load({ code, at: asOf ? parseAsOf(asOf) : null });
    },
  },
  Division: {
    parent: (d: Division, _args, ctx) => (d.parentCode ? divisionLoaders(ctx).byCode.load(d.parentCode) : null),
    children: (d: Division, _args, ctx) => divisionLoaders(ctx).children.load(d.code),
    ancestors: async (d: Division, _args, ctx) => {
      const chain: Division[] = [];
      for (let code = d.parentCode; code; ) {
        const parent = await divisionLoaders(ctx).byCode.load(code);
        if (!parent) break;
        chain.unshift(parent);
        code = parent.parentCode;
      }
      return chain;
    },
    descendants: (d: Division, args: Page & { level: string }, ctx) =>
      codeConnection(
        args,
        (page) => divisionLoaders(ctx).descendants.load({ parent: d.code, args: { ...page, level: args.level } }),
        () => divisionLoaders(ctx).descendantCount.load({ parent: d.code, args: args.level }),
      ),
    grids: (d: Division, args: Page, ctx) =>
      codeConnection(
        args,
        (page) => divisionLoaders(ctx).grids.load({ parent: d.code, args: page }),
        () => divisionLoaders(ctx).gridCount.load({ parent: d.code, args: null }),
      ),
    addresses: (d: Division, args: Page, ctx) =>
      codeConnection(
        args,
        (page) => divisionLoaders(ctx).addresses.load({ parent: d.code, args: { ...page, scope: 'division' } }),
        () => divisionLoaders(ctx).addressCount.load({ parent: d.code, args: 'division' }),
      ),
  },
  Grid: {
    division: (g: Grid, _args, ctx) => divisionLoaders(ctx).byCode.load(g.divisionCode),
    addresses: (g: Grid, args: Page, ctx) =>
      codeConnection(
        args,
        (page) => divisionLoaders(ctx).addresses.load({ parent: g.code, args: { ...page, scope: 'grid' } }),
        () => divisionLoaders(ctx).addressCount.load({ parent: g.code, args: 'grid' }),
      ),
  },
  Address: {
    division: (a: Address, _args, ctx) => divisionLoaders(ctx).byCode.load(a.divisionCode),
    grid: (a: Address, _args, ctx) => divisionLoaders(ctx).grid.load({ code: a.gridCode, at: null }),
  },
};
