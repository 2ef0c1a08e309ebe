import { getNamedType, getNullableType, isCompositeType, isListType, type GraphQLField } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { Plugin } from 'graphql-yoga';
import { DEFAULT_PAGE, MAX_PAGE } from '../connections.js';
import { HubError } from '../errors.js';

/**
 * What an unpaged list of records (a household's `members`, a person's `properties`, a division's
 * `children`) is assumed to hold. A list argument (`personsByIdNumbers(idNumbers:)`) counts its length.
 */
export const UNPAGED_LIST = 20;

/**
 * Cost of one field: 1 for itself plus what it selects, times how many records it can return.
 * `args` are coerced by graphql-query-complexity: variables substituted and defaults applied, so
 * `first: $n` and a defaulted `first` count exactly as a literal would.
 */
const estimate: ComplexityEstimator = ({ field, args, childComplexity }) => 1 + multiplier(field, args) * childComplexity;

function multiplier(field: GraphQLField<unknown, unknown>, args: Record<string, unknown>): number {
  if (field.args.some((a) => a.name === 'first')) {
    const first = args.first;
    if (first === null || first === undefined) return DEFAULT_PAGE;
    // Out of range is refused by the resolver; costed at the largest page meanwhile.
    return typeof first === 'number' && first >= 0 && first <= MAX_PAGE ? first : MAX_PAGE;
  }
  const type = getNullableType(field.type);
  if (!isListType(type) || !isCompositeType(getNamedType(type))) return 1;
  // A connection's `edges` are already counted by its `first`.
  if (field.name === 'edges' || field.name === 'nodes') return 1;
  const listed = Object.values(args).filter(Array.isArray) as unknown[][];
  return listed.length ? Math.max(1, ...listed.map((l) => l.length)) : UNPAGED_LIST;
}

/**
 * Refuses, before anything runs, an operation whose worst-case cost (records it could return, pages
 * of pages multiplied out) passes `limit`. Computed at execution, once variables are known: a limit
 * read from the document alone misses `first: $n`.
 */
export function useCostLimit(limit: number): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const cost = getComplexity({
        schema: args.schema,
        query: args.document,
        variables: (args.variableValues ?? {}) as Record<string, unknown>,
        operationName: args.operationName ?? undefined,
        estimators: [estimate],
      });
      if (cost <= limit) return;
      const error = new HubError(
        'BAD_USER_INPUT',
        `Query cost ${cost.toLocaleString('en-US')} exceeds the limit of ${limit.toLocaleString('en-US')}: ` +
          'ask for fewer records (a smaller `first`) or fewer nested lists, and page through the rest.',
        { reason: 'max-cost', cost, limit },
      );
      setResultAndStopExecution({ errors: [error] });
    },
  };
}
