import type { IResolvers } from '@graphql-tools/utils';
import type { HubContext } from '../../server/context.js';
import { badUserInput } from '../../server/errors.js';
import { creditCodeArgument, legalEntityLoaders, type LegalEntityRow } from '../legal-entities/index.js';
import { idNumberArgument, populationLoaders, type PersonRow } from '../population/index.js';
import { parseAsOf, versionResolvers } from '../records.js';
import { divisionLoaders } from '../spatial/index.js';
import { propertyLoaders } from './loaders.js';
import type { OwnershipRow, PropertyUnitRow } from './queries.js';
import { checkUnitNumber } from './unit-number.js';

export const propertyResolvers: IResolvers<unknown, HubContext> = {
  Query: {
    property: (_root, args: { unitNumber: string; asOf?: string }, ctx) => {
      const asOf = parseAsOf(args.asOf);
      const checked = checkUnitNumber(args.unitNumber);
      if (!checked.ok) throw badUserInput('unitNumber', checked.reason);
      return propertyLoaders(ctx).unit.load({ key: checked.unitNumber, asOf });
    },
    propertiesOf: async (_root, args: { idNumber?: string | null; creditCode?: string | null }, ctx) => {
      const given = [args.idNumber, args.creditCode].filter((a) => a !== undefined && a !== null).length;
      if (given !== 1) throw badUserInput(args.idNumber == null ? 'idNumber' : 'creditCode', 'give exactly one of idNumber and creditCode');
      if (args.idNumber) {
        const key = await idNumberArgument(ctx, 'idNumber', args.idNumber);
        return propertyLoaders(ctx).ownedByPerson.load({ key, asOf: null });
      }
      return propertyLoaders(ctx).ownedByEntity.load({ key: creditCodeArgument('creditCode', args.creditCode!), asOf: null });
    },
  },
  PropertyUnit: {
    ...versionResolvers,
    division: (u: PropertyUnitRow, _args, ctx) => divisionLoaders(ctx).byCode.load(u.divisionCode),
    owners: (u: PropertyUnitRow, _args, ctx) => propertyLoaders(ctx).owners.load({ key: u.unitNumber, asOf: u.asOf }),
    encumbrances: (u: PropertyUnitRow, _args, ctx) => propertyLoaders(ctx).encumbrances.load({ key: u.unitNumber, asOf: u.asOf }),
  },
  Ownership: {
    ...versionResolvers,
    owner: (o: OwnershipRow, _args, ctx) =>
      o.ownerIdNumber
        ? populationLoaders(ctx).person.load({ key: o.ownerIdNumber, asOf: o.asOf })
        : legalEntityLoaders(ctx).entity.load({ key: o.ownerCreditCode!, asOf: o.asOf }),
    property: (o: OwnershipRow, _args, ctx) => propertyLoaders(ctx).unit.load({ key: o.unitNumber, asOf: o.asOf }),
  },
  Encumbrance: { ...versionResolvers },
  Person: {
    properties: (p: PersonRow, _args, ctx) => propertyLoaders(ctx).ownedByPerson.load({ key: p.idNumber, asOf: p.asOf }),
  },
  LegalEntity: {
    properties: (e: LegalEntityRow, _args, ctx) => propertyLoaders(ctx).ownedByEntity.load({ key: e.creditCode, asOf: e.asOf }),
  },
};
