import type { HubContext } from '../../server/context.js';
import { perRequest } from '../../server/per-request.js';
import { atLoader, groupBy } from '../records.js';
import {
  encumbrancesOfUnits, ownershipsOfUnits, unitsByNumber, unitsOwnedBy,
  type EncumbranceRow, type OwnershipRow, type PropertyUnitRow,
} from './queries.js';

function createPropertyLoaders(ctx: HubContext) {
  const pool = ctx.hub.db.pool;
  return {
    unit: atLoader<PropertyUnitRow | null>((numbers, asOf) => unitsByNumber(pool, numbers, asOf), () => null),
    owners: atLoader<OwnershipRow[]>(async (numbers, asOf) => groupBy(await ownershipsOfUnits(pool, numbers, asOf), (o) => o.unitNumber), () => []),
    encumbrances: atLoader<EncumbranceRow[]>(
      async (numbers, asOf) => groupBy(await encumbrancesOfUnits(pool, numbers, asOf), (e) => e.unitNumber),
      () => [],
    ),
    ownedByPerson: atLoader<PropertyUnitRow[]>(
      async (ids, asOf) => groupBy(await unitsOwnedBy(pool, 'owner_id_number', ids, asOf), (u) => u.ownerKey),
      () => [],
    ),
    ownedByEntity: atLoader<PropertyUnitRow[]>(
      async (codes, asOf) => groupBy(await unitsOwnedBy(pool, 'owner_credit_code', codes, asOf), (u) => u.ownerKey),
      () => [],
    ),
  };
}

/** Request-scoped loaders of real-estate units, their owners and encumbrances, keyed by `{ key, asOf }`. */
export const propertyLoaders = (ctx: HubContext) => perRequest(ctx, createPropertyLoaders);
