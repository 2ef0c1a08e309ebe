import type { IResolvers } from '@graphql-tools/utils';
import type { HubContext } from '../../server/context.js';
import { badUserInput } from '../../server/errors.js';
import { populationLoaders, type PersonRow } from '../population/index.js';
import { divisionPrefix, parseAsOf, versionResolvers } from '../records.js';
import { divisionLoaders } from '../spatial/index.js';
import { checkCreditCode } from './credit-code.js';
import { legalEntityLoaders } from './loaders.js';
import { countEntities, searchEntities, type LegalEntityFilter, type LegalEntityRow, type ShareholdingRow } from './queries.js';

/** A credit-code argument, both check characters verified, normalised to upper case. */
export function creditCodeArgument(argument: string, raw: string): string {
  const checked = checkCreditCode(raw);
  if (!checked.ok) throw badUserInput(argument, checked.reason);
  return checked.creditCode;
}

interface LegalEntityFilterArgs {
  name?: string | null;
  divisionCode?: string | null;
  kind?: string | null;
  status?: string | null;
  industryCode?: string | null;
}

export const legalEntityResolvers: IResolvers<unknown, HubContext> = {
  Query: {
    legalEntity: (_root, args: { creditCode: string; asOf?: string }, ctx) => {
      const asOf = parseAsOf(args.asOf);
      return legalEntityLoaders(ctx).entity.load({ key: creditCodeArgument('creditCode', args.creditCode), asOf });
    },
    legalEntities: async (_root, args: { filter?: LegalEntityFilterArgs | null; first?: number | null; after?: string | null }, ctx) => {
      const pool = ctx.hub.db.pool;
      const f = args.filter ?? {};
      if (f.name !== undefined && f.name !== null && !f.name.trim()) throw badUserInput('filter.name', 'empty');
      if (f.industryCode && !/^[A-T](\d{2,4})?$/.test(f.industryCode)) {
        throw badUserInput('filter.industryCode', 'a GB/T 4754 code: a section letter A–T and 2 to 4 digits');
      }
      const filter: LegalEntityFilter = {
        name: f.name?.trim() ?? null,
        divisionPrefix: await divisionPrefix(pool, f.divisionCode, 'filter.divisionCode'),
        kind: f.kind ?? null,
        status: f.status ?? null,
        industryCode: f.industryCode ?? null,
      };
      return searchEntities(pool, filter, args);
    },
  },
  LegalEntity: {
    ...versionResolvers,
    division: (e: LegalEntityRow, _args, ctx) => divisionLoaders(ctx).byCode.load(e.divisionCode),
    representative: (e: LegalEntityRow, _args, ctx) =>
      e.representativeIdNumber ? populationLoaders(ctx).person.load({ key: e.representativeIdNumber, asOf: e.asOf }) : null,
    shareholders: (e: LegalEntityRow, _args, ctx) => legalEntityLoaders(ctx).shareholders.load({ key: e.creditCode, asOf: e.asOf }),
    economicFacts: (e: LegalEntityRow, _args, ctx) => legalEntityLoaders(ctx).economicFacts.load({ key: e.creditCode, asOf: e.asOf }),
  },
  Shareholding: {
    ...versionResolvers,
    holder: (s: ShareholdingRow, _args, ctx) =>
      s.holderIdNumber
        ? populationLoaders(ctx).person.load({ key: s.holderIdNumber, asOf: s.asOf })
        : legalEntityLoaders(ctx).entity.load({ key: s.holderCreditCode!, asOf: s.asOf }),
    entity: (s: ShareholdingRow, _args, ctx) => legalEntityLoaders(ctx).entity.load({ key: s.creditCode, asOf: s.asOf }),
  },
  EconomicFacts: { ...versionResolvers },
  Party: {
    __resolveType: (party: PersonRow | LegalEntityRow) => ('idNumber' in party ? 'Person' : 'LegalEntity'),
  },
  Person: {
    representedEntities: (p: PersonRow, _args, ctx) => legalEntityLoaders(ctx).representedBy.load({ key: p.idNumber, asOf: p.asOf }),
  },
};
