import type { HubContext } from '../../server/context.js';
import { perRequest } from '../../server/per-request.js';
import { atLoader, groupBy } from '../records.js';
import {
  economicFactsOf, entitiesByCreditCode, entitiesRepresentedBy, shareholdingsOf,
  type EconomicFactsRow, type LegalEntityRow, type ShareholdingRow,
} from './queries.js';

function createLegalEntityLoaders(ctx: HubContext) {
  const pool = ctx.hub.db.pool;
  return {
    entity: atLoader<LegalEntityRow | null>((codes, asOf) => entitiesByCreditCode(pool, codes, asOf), () => null),
    representedBy: atLoader<LegalEntityRow[]>(
      async (ids, asOf) => groupBy(await entitiesRepresentedBy(pool, ids, asOf), (e) => e.representativeIdNumber!),
      () => [],
    ),
    shareholders: atLoader<ShareholdingRow[]>(
      async (codes, asOf) => groupBy(await shareholdingsOf(pool, codes, asOf), (s) => s.creditCode),
      () => [],
    ),
    economicFacts: atLoader<EconomicFactsRow[]>(
      async (codes, asOf) => groupBy(await economicFactsOf(pool, codes, asOf), (f) => f.creditCode),
      () => [],
    ),
  };
}

/** Request-scoped loaders of legal entities and what hangs off them, keyed by `{ key, asOf }`. */
export const legalEntityLoaders = (ctx: HubContext) => perRequest(ctx, createLegalEntityLoaders);
