import type { IResolvers } from '@graphql-tools/utils';
import DataLoader from 'dataloader';
import { parseAsOf } from '../../server/as-of.js';
import { batchByParent, decodeCursor, pageSize, toConnection } from '../../server/connections.js';
import type { HubContext } from '../../server/context.js';
import { badUserInput } from '../../server/errors.js';
import { perRequest } from '../../server/per-request.js';
import { divisionLoaders, requireDivision, requireValid, type Division } from '../spatial/index.js';
import type { IndicatorDefinition } from './definitions.js';
import { checkIndicatorCode, checkPeriod, periodMonths } from './codes.js';
import * as q from './queries.js';

interface ObservationArgs {
  code?: string | null;
  divisionCode?: string | null;
  from?: string | null;
  to?: string | null;
  asOf?: string | null;
  first?: number | null;
  after?: string | null;
}

/** Indicator definitions, read once per request (a handful of rows) and shared by every observation. */
const definitions = (ctx: HubContext) =>
  perRequest(ctx, makeDefinitions);

const makeDefinitions = (ctx: HubContext) =>
  new DataLoader<string, IndicatorDefinition | null>(async (codes) => {
    const byCode = new Map((await q.indicatorDefinitions(ctx.hub.db.pool)).map((d) => [d.code, d]));
    return codes.map((c) => byCode.get(c) ?? null);
  });

async function observations(args: ObservationArgs, ctx: HubContext, divisionCode: string | null) {
  if (args.code) {
    requireValid('code', checkIndicatorCode(args.code));
    if (!(await definitions(ctx).load(args.code))) throw badUserInput('code', `unknown indicator ${args.code}`);
  }
  if (args.from) requireValid('from', checkPeriod(args.from));
  if (args.to) requireValid('to', checkPeriod(args.to));
  if (args.from && args.to && periodMonths(args.from).first > periodMonths(args.to).last) throw badUserInput('to', 'ends before from');
  if (args.divisionCode) await requireDivision(ctx, 'divisionCode', args.divisionCode);
  const filter: q.ObservationFilter = {
    indicatorCode: args.code ?? null,
    fromMonth: args.from ? periodMonths(args.from).first : null,
    toMonth: args.to ? periodMonths(args.to).last : null,
    at: args.asOf ? parseAsOf(args.asOf) : null,
  };
  const first = pageSize(args.first);
  const after = decodeCursor(args.after, ['string', 'string', 'string']) as q.ObservationKey | null;
  const page = { filter, after, limit: first + 1 };
  const rows = divisionCode
    ? await loaders(ctx).pages.load({ parent: divisionCode, args: page })
    : await q.observationPage(ctx.hub.db.pool, filter, after, first + 1);
  return toConnection(rows, first, (r) => [r.periodStart, r.indicatorCode, r.divisionCode], (r) => r, undefined, async () =>
    divisionCode ? loaders(ctx).counts.load({ parent: divisionCode, args: filter }) : (await q.countObservations(ctx.hub.db.pool, filter, null))[0],
  );
}

interface PageArgs {
  filter: q.ObservationFilter;
  after: q.ObservationKey | null;
  limit: number;
}

/** Observations per division, batched over the divisions that ask with the same arguments. */
const loaders = (ctx: HubContext) => perRequest(ctx, makeLoaders);
const makeLoaders = (ctx: HubContext) => ({
  pages: batchByParent<PageArgs, q.Observation[]>((codes, a) => q.observationPagesIn(ctx.hub.db.pool, codes, a.filter, a.after, a.limit)),
  counts: batchByParent<q.ObservationFilter, number>((codes, filter) => q.countObservations(ctx.hub.db.pool, filter, codes)),
});

export const economyResolvers: IResolvers<unknown, HubContext> = {
  Query: {
    economicIndicators: (_root, _args, ctx) => q.indicatorDefinitions(ctx.hub.db.pool),
    indicators: (_root, args: ObservationArgs, ctx) => observations(args, ctx, args.divisionCode ?? null),
  },
  Division: {
    indicators: (d: Division, args: ObservationArgs, ctx) => observations(args, ctx, d.code),
  },
  IndicatorObservation: {
    indicator: (o: q.Observation, _args, ctx) => definitions(ctx).load(o.indicatorCode),
    division: (o: q.Observation, _args, ctx) => divisionLoaders(ctx).byCode.load(o.divisionCode),
  },
};
