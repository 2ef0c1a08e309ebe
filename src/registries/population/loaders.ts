import type { HubContext } from '../../server/context.js';
import { perRequest } from '../../server/per-request.js';
import { atLoader, groupBy } from '../records.js';
import { householdsByNumber, membersOfHouseholds, personsByIdNumber, type HouseholdRow, type PersonRow } from './queries.js';

function createPopulationLoaders(ctx: HubContext) {
  const pool = ctx.hub.db.pool;
  return {
    person: atLoader<PersonRow | null>((ids, asOf) => personsByIdNumber(pool, ids, asOf), () => null),
    household: atLoader<HouseholdRow | null>((numbers, asOf) => householdsByNumber(pool, numbers, asOf), () => null),
    members: atLoader<PersonRow[]>(
      async (numbers, asOf) => groupBy(await membersOfHouseholds(pool, numbers, asOf), (p) => p.householdNumber!),
      () => [],
    ),
  };
}

/** Request-scoped loaders of persons and households, keyed by `{ key, asOf }`. */
export const populationLoaders = (ctx: HubContext) => perRequest(ctx, createPopulationLoaders);
