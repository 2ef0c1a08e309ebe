import type { IResolvers } from '@graphql-tools/utils';
import { parseAsOf } from '../../server/as-of.js';
import { batchByParent, decodeCursor, pageSize, toConnection } from '../../server/connections.js';
import type { HubContext } from '../../server/context.js';
import { badUserInput } from '../../server/errors.js';
import { perRequest } from '../../server/per-request.js';
import { checkCoordinates, descendantPrefix, divisionLoaders, requireDivision, requireValid, type Division } from '../spatial/index.js';
import { CATEGORIES, STATUSES } from './classification.js';
import { checkCategory, checkComponentCode } from './codes.js';
import * as q from './queries.js';

interface FilterInput {
  category?: string | null;
  divisionCode?: string | null;
  status?: string | null;
  near?: { lng: number; lat: number; radiusMeters: number } | null;
}

interface ListArgs {
  filter?: FilterInput | null;
  first?: number | null;
  after?: string | null;
}

/** The widest circle a near search may draw: a county, not the province. */
const MAX_RADIUS = 50_000;

/** Checks the filter; answers it and the division the list is scoped to (null: all components). */
async function toFilter(ctx: HubContext, input: FilterInput, within: string | null): Promise<{ filter: q.ComponentFilter; scope: string | null }> {
  if (input.category) requireValid('filter.category', checkCategory(input.category));
  if (input.divisionCode) await requireDivision(ctx, 'filter.divisionCode', input.divisionCode);
  if (input.status && !(STATUSES as readonly string[]).includes(input.status)) throw badUserInput('filter.status', 'unknown status');
  if (input.near) {
    const bad = checkCoordinates(input.near.lng, input.near.lat);
    if (bad) throw badUserInput(`filter.near.${bad.argument}`, bad.reason);
    if (!(input.near.radiusMeters >= 1 && input.near.radiusMeters <= MAX_RADIUS)) {
      throw badUserInput('filter.near.radiusMeters', `must be between 1 and ${MAX_RADIUS}`);
    }
  }
  // Inside a division's list, a filter's division narrows it further (codes nest by prefix).
  if (within && input.divisionCode && !input.divisionCode.startsWith(descendantPrefix(within))) {
    throw badUserInput('filter.divisionCode', `is not under ${within}`);
  }
  const filter = { category: input.category ?? null, status: input.status ?? null, near: input.near ?? null };
  return { filter, scope: input.divisionCode ?? within };
}

interface PageArgs {
  filter: q.ComponentFilter;
  after: q.ComponentCursor | null;
  limit: number;
}

/** Components per division, batched over the divisions that ask with the same arguments. */
const loaders = (ctx: HubContext) => perRequest(ctx, makeLoaders);
const makeLoaders = (ctx: HubContext) => ({
  pages: batchByParent<PageArgs, q.CityComponent[]>((codes, a) => q.componentPagesIn(ctx.hub.db.pool, codes, a.filter, a.after, a.limit)),
  counts: batchByParent<q.ComponentFilter, number>((codes, filter) => q.countComponents(ctx.hub.db.pool, filter, codes)),
});

async function components(args: ListArgs, ctx: HubContext, within: string | null) {
  const { filter, scope } = await toFilter(ctx, args.filter ?? {}, within);
  const first = pageSize(args.first);
  const cursor = filter.near ? decodeCursor(args.after, ['number', 'string']) : decodeCursor(args.after, ['string']);
  const after = cursor ? (filter.near ? { distance: cursor[0] as number, code: cursor[1] as string } : { code: cursor[0] as string }) : null;
  const page = { filter, after, limit: first + 1 };
  const rows = scope
    ? await loaders(ctx).pages.load({ parent: scope, args: page })
    : await q.componentPage(ctx.hub.db.pool, filter, after, first + 1);
  return toConnection(
    rows,
    first,
    (r) => (filter.near ? [r.distance!, r.code] : [r.code]),
    (r) => r,
    (r) => ({ distanceMeters: r.distance ?? null }),
    async () => (scope ? loaders(ctx).counts.load({ parent: scope, args: filter }) : (await q.countComponents(ctx.hub.db.pool, filter, null))[0]),
  );
}

export const cityComponentResolvers: IResolvers<unknown, HubContext> = {
  Query: {
    cityComponent: async (_root, { code, asOf }: { code: string; asOf?: string | null }, ctx) => {
      requireValid('code', checkComponentCode(code));
      await requireDivision(ctx, 'code', code.slice(0, 6));
      const [found] = await q.componentsByCode(ctx.hub.db.pool, [code], asOf ? parseAsOf(asOf) : null);
      return found ?? null;
    },
    cityComponents: (_root, args: ListArgs, ctx) => components(args, ctx, null),
  },
  Division: {
    components: (d: Division, args: ListArgs, ctx) => components(args, ctx, d.code),
  },
  CityComponent: {
    categoryName: (c: q.CityComponent) => CATEGORIES[c.category] ?? null,
    division: (c: q.CityComponent, _args, ctx) => divisionLoaders(ctx).byCode.load(c.divisionCode),
    grid: (c: q.CityComponent, _args, ctx) => (c.gridCode ? divisionLoaders(ctx).grid.load({ code: c.gridCode, at: null }) : null),
  },
};
