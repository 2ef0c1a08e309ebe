import type { IResolvers } from '@graphql-tools/utils';
import { parseAsOf } from '../../server/as-of.js';
import { decodeCursor, pageSize, toConnection } from '../../server/connections.js';
import type { HubContext } from '../../server/context.js';
import { badUserInput } from '../../server/errors.js';
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

async function toFilter(ctx: HubContext, input: FilterInput, divisionCode: string | null): Promise<q.ComponentFilter> {
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
  const scope = input.divisionCode ?? divisionCode;
  if (divisionCode && input.divisionCode && !input.divisionCode.startsWith(descendantPrefix(divisionCode))) {
    throw badUserInput('filter.divisionCode', `is not under ${divisionCode}`);
  }
  return {
    category: input.category ?? null,
    status: input.status ?? null,
    divisionPrefix: scope ? descendantPrefix(scope) : null,
    near: input.near ?? null,
  };
}

async function components(args: ListArgs, ctx: HubContext, divisionCode: string | null) {
  const filter = await toFilter(ctx, args.filter ?? {}, divisionCode);
  const first = pageSize(args.first);
  const cursor = filter.near ? decodeCursor(args.after, ['number', 'string']) : decodeCursor(args.after, ['string']);
  const after = cursor ? (filter.near ? { distance: cursor[0] as number, code: cursor[1] as string } : { code: cursor[0] as string }) : null;
  const rows = await q.componentPage(ctx.hub.db.pool, filter, after, first + 1);
  return toConnection(
    rows,
    first,
    (r) => (filter.near ? [r.distance!, r.code] : [r.code]),
    (r) => r,
    (r) => ({ distanceMeters: r.distance ?? null }),
    () => q.countComponents(ctx.hub.db.pool, filter),
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
