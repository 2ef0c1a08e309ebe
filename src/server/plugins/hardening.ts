import { readFileSync } from 'node:fs';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../../config.js';
import { useCostLimit } from './cost.js';
import { useInputEdge } from './input.js';

/**
 * Operation limits. A division with its parent and two levels of children is depth 4. The cost
 * (`./cost.ts`) multiplies what a list selects by the records it can return (its `first`, literal,
 * variable or default; an unpaged list as 20), so one full page (500, the largest `first`) of
 * records with a dozen fields passes, and nested pages of pages do not.
 */
export const LIMITS = { depth: 10, aliases: 15, tokens: 2000, directives: 10, cost: 20_000 } as const;

/**
 * Depth, alias, token and directive limits and hidden field suggestions (graphql-armor), the cost
 * limit once variables are known (`./cost.ts`), control characters in any argument (`./input.ts`), CSRF
 * prevention, no introspection in production, and the persisted-operations-only mode when
 * `HUITONG_PERSISTED_OPERATIONS` names a manifest.
 */
export function hardeningPlugins(config: Config): Plugin[] {
  const reject = (reason: string) => [
    (_ctx: unknown, error: GraphQLError) => {
      // Armor's errors carry no code; callers branch on one.
      Object.assign(error.extensions, { code: 'BAD_USER_INPUT', reason });
    },
  ];
  const plugins: Plugin[] = [
    EnvelopArmorPlugin({
      maxDepth: { n: LIMITS.depth, flattenFragments: true, onReject: reject('max-depth') },
      maxAliases: { n: LIMITS.aliases, onReject: reject('max-aliases') },
      maxTokens: { n: LIMITS.tokens, onReject: reject('max-tokens') },
      maxDirectives: { n: LIMITS.directives, onReject: reject('max-directives') },
      // Armor's cost reads literal `first` only; ours (below) counts variables, defaults and unpaged lists.
      costLimit: { enabled: false },
      blockFieldSuggestion: { enabled: true },
    }) as Plugin,
    useCostLimit(LIMITS.cost),
    // Control characters in any string argument, before any resolver (and any SQL) runs.
    useInputEdge(),
    // Browsers preflight anything carrying `authorization`, which every real caller sends.
    useCSRFPrevention({ requestHeaders: ['authorization', 'x-graphql-yoga-csrf'] }) as Plugin,
  ];
  if (config.mode === 'production') {
    plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) });
  }
  if (config.persistedOperations) plugins.push(persistedOnly(config.persistedOperations) as Plugin);
  return plugins;
}

/**
 * Only the operations of a manifest may run: a JSON object of operation id (e.g. its SHA-256) to
 * document, as GraphQL Codegen's persisted documents or Relay's persisted queries write it.
 * Clients send `{ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "<id>" } } }`
 * or `documentId`.
 */
function persistedOnly(manifestFile: string) {
  let manifest: Record<string, string>;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  } catch (err) {
    throw new Error(`HUITONG_PERSISTED_OPERATIONS: ${manifestFile} is not a readable JSON file (${(err as Error).message})`);
  }
  if (typeof manifest !== 'object' || manifest === null || Object.values(manifest).some((d) => typeof d !== 'string')) {
    throw new Error(`HUITONG_PERSISTED_OPERATIONS: ${manifestFile} must be a JSON object of operation id to document`);
  }
  return usePersistedOperations({
    getPersistedOperation: (id) => (Object.hasOwn(manifest, id) ? manifest[id] : null),
    allowArbitraryOperations: false,
    customErrors: {
      persistedQueryOnly: { message: 'Only persisted operations are accepted.', extensions: { code: 'BAD_USER_INPUT', reason: 'persisted-only' } },
      notFound: { message: 'Persisted operation not found.', extensions: { code: 'BAD_USER_INPUT', reason: 'persisted-not-found' } },
    },
  });
}
