import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { IResolvers } from '@graphql-tools/utils';
import type { GraphQLSchema } from 'graphql';
import { guardResourceFields } from '../access/index.js';
import { auditResolvers } from '../audit/index.js';
import { catalogResolvers } from '../catalog/index.js';
import { citizenResolvers, consoleResolvers, sheetImportResolvers } from '../console/index.js';
import {
  cityComponentResolvers, economyResolvers, legalEntityResolvers, populationResolvers, propertyResolvers, spatialResolvers,
} from '../registries/index.js';
import type { HubContext } from './context.js';
import { hubResolvers } from './hub-resolvers.js';

/** The public contract, SDL first: one file per area. */
export const SDL_DIR = path.resolve(import.meta.dirname, '../../schemas/graphql');

export function readContract(dir = SDL_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(path.join(dir, f), 'utf8'));
}

type Resolvers = IResolvers<unknown, HubContext>;

/** Resolvers of every area of the contract; each area's folder exports its own. */
const areas: Resolvers[] = [
  hubResolvers, spatialResolvers, economyResolvers, cityComponentResolvers, auditResolvers, catalogResolvers,
  populationResolvers, legalEntityResolvers, propertyResolvers, citizenResolvers, consoleResolvers, sheetImportResolvers,
];

/** The served schema; `extra` adds types and resolvers (tests use it for resources of their own). */
export function buildSchema(extra: { typeDefs?: string[]; resolvers?: Resolvers[] } = {}): GraphQLSchema {
  return guardResourceFields(
    makeExecutableSchema<HubContext>({
      typeDefs: [...readContract(), ...(extra.typeDefs ?? [])],
      resolvers: [...areas, ...(extra.resolvers ?? [])],
      resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
    }),
  );
}
