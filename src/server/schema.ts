import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { IResolvers } from '@graphql-tools/utils';
import type { GraphQLSchema } from 'graphql';
import type { ResourceDeclaration } from '../catalog/index.js';
import { guardResourceFields } from '../access/index.js';
import { auditResolvers } from '../audit/index.js';
import { catalogResolvers } from '../catalog/index.js';
import { exchangeResolvers } from '../exchange/index.js';
import { prefillResolvers } from '../prefill/index.js';
import { citizenResolvers, consoleResolvers, sheetImportResolvers } from '../console/index.js';
import {
  cityComponentResolvers, economyResolvers, legalEntityResolvers, populationResolvers, propertyResolvers, spatialResolvers,
  contractNames, departmentResolvers, departmentTypeDefs, exposedResources, type ContractNames,
} from '../registries/index.js';
import { verificationResolvers } from '../verification/index.js';
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
  populationResolvers, legalEntityResolvers, propertyResolvers, exchangeResolvers, verificationResolvers, prefillResolvers,
  citizenResolvers, consoleResolvers, sheetImportResolvers,
];

let contract: { typeDefs: string[]; names: ContractNames } | null = null;

/** The hand-written contract, read and parsed once. */
function handWritten() {
  if (!contract) {
    const typeDefs = readContract();
    contract = { typeDefs, names: contractNames(typeDefs) };
  }
  return contract;
}

/** Resource declaration files shipped in `catalog/resources/`, for a schema built without a database. */
export function declarationFiles(dir = path.resolve(import.meta.dirname, '../../catalog/resources')): ResourceDeclaration[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => {
      try {
        return [JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as ResourceDeclaration];
      } catch {
        return []; // refused, with its reason, when the catalogue is synced
      }
    });
}

function mergeNames(a: ContractNames, b: ContractNames): ContractNames {
  const fields = new Map<string, Set<string>>();
  for (const m of [a.fields, b.fields]) for (const [type, set] of m) fields.set(type, new Set([...(fields.get(type) ?? []), ...set]));
  return { types: new Set([...a.types, ...b.types]), fields };
}

/** The generated part of the contract for these declarations, and which were left out and why. */
export function generatedContract(declarations: Iterable<ResourceDeclaration>, extraTypeDefs: readonly string[] = []) {
  const names = extraTypeDefs.length ? mergeNames(handWritten().names, contractNames(extraTypeDefs)) : handWritten().names;
  const { exposed, skipped } = exposedResources(declarations, names);
  return { exposed, skipped, typeDefs: departmentTypeDefs(exposed), resolvers: departmentResolvers(exposed) };
}

/**
 * The served schema: the hand-written contract, plus the types generated from the catalogue's
 * department resources (`departments`: the declarations to generate from; default the files in
 * `catalog/resources/`); `extra` adds types and resolvers (tests use it for resources of their own).
 */
export function buildSchema(extra: { typeDefs?: string[]; resolvers?: Resolvers[]; departments?: Iterable<ResourceDeclaration> } = {}): GraphQLSchema {
  const generated = generatedContract(extra.departments ?? declarationFiles(), extra.typeDefs);
  return guardResourceFields(
    makeExecutableSchema<HubContext>({
      typeDefs: [...handWritten().typeDefs, ...generated.typeDefs, ...(extra.typeDefs ?? [])],
      resolvers: [...areas, generated.resolvers, ...(extra.resolvers ?? [])],
      resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
    }),
  );
}
