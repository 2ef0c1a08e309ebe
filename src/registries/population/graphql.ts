import type { IResolvers } from '@graphql-tools/utils';
import type { HubContext } from '../../server/context.js';
import { badUserInput } from '../../server/errors.js';
import { divisionLoaders } from '../spatial/index.js';
import { divisionPrefix, parseAsOf, parseDay, versionResolvers } from '../records.js';
import { checkIdNumber } from './id-number.js';
import { populationLoaders } from './loaders.js';
import { countPersons, everValidCountyCodes, searchPersons, type HouseholdRow, type PersonFilter, type PersonRow } from './queries.js';

/** An ID number argument, checked in full (checksum, birth date, division ever valid), normalised. */
export async function idNumberArgument(ctx: HubContext, argument: string, raw: string): Promise<string> {
  const checked = checkIdNumber(raw, await everValidCountyCodes(ctx.hub.db.pool));
  if (!checked.ok) throw badUserInput(argument, checked.reason);
  return checked.parts.idNumber;
}

const MAX_BATCH = 100;

interface PersonFilterArgs {
  name?: string | null;
  divisionCode?: string | null;
  bornFrom?: string | null;
  bornTo?: string | null;
  status?: string | null;
}

export const populationResolvers: IResolvers<unknown, HubContext> = {
  Query: {
    person: async (_root, args: { idNumber: string; asOf?: string }, ctx) => {
      const asOf = parseAsOf(args.asOf);
      const key = await idNumberArgument(ctx, 'idNumber', args.idNumber);
      return populationLoaders(ctx).person.load({ key, asOf });
    },
    personsByIdNumbers: async (_root, args: { idNumbers: string[]; asOf?: string }, ctx) => {
      if (args.idNumbers.length > MAX_BATCH) throw badUserInput('idNumbers', `at most ${MAX_BATCH} per call`);
      const asOf = parseAsOf(args.asOf);
      const keys = await Promise.all(args.idNumbers.map((id, i) => idNumberArgument(ctx, `idNumbers[${i}]`, id)));
      return populationLoaders(ctx).person.loadMany(keys.map((key) => ({ key, asOf })));
    },
    persons: async (_root, args: { filter?: PersonFilterArgs | null; first?: number | null; after?: string | null }, ctx) => {
      const pool = ctx.hub.db.pool;
      const f = args.filter ?? {};
      if (f.name !== undefined && f.name !== null && !f.name.trim()) throw badUserInput('filter.name', 'empty');
      const filter: PersonFilter = {
        name: f.name?.trim() ?? null,
        divisionPrefix: await divisionPrefix(pool, f.divisionCode, 'filter.divisionCode'),
        bornFrom: parseDay(f.bornFrom, 'filter.bornFrom'),
        bornTo: parseDay(f.bornTo, 'filter.bornTo'),
        status: f.status ?? null,
      };
      return searchPersons(pool, filter, args);
    },
    household: (_root, args: { number: string; asOf?: string }, ctx) => {
      const asOf = parseAsOf(args.asOf);
      const key = args.number.trim();
      if (!key) throw badUserInput('number', 'empty');
      return populationLoaders(ctx).household.load({ key, asOf });
    },
  },
  Person: {
    ...versionResolvers,
    residenceDivision: (p: PersonRow, _args, ctx) => divisionLoaders(ctx).byCode.load(p.residenceDivisionCode),
    household: (p: PersonRow, _args, ctx) =>
      p.householdNumber ? populationLoaders(ctx).household.load({ key: p.householdNumber, asOf: p.asOf }) : null,
  },
  Household: {
    ...versionResolvers,
    division: (h: HouseholdRow, _args, ctx) => divisionLoaders(ctx).byCode.load(h.divisionCode),
    head: (h: HouseholdRow, _args, ctx) => populationLoaders(ctx).person.load({ key: h.headIdNumber, asOf: h.asOf }),
    members: (h: HouseholdRow, _args, ctx) => populationLoaders(ctx).members.load({ key: h.number, asOf: h.asOf }),
  },
};
