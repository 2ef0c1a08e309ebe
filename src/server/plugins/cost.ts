import { getNamedType, getNullableType, isCompositeType, isListType, type DocumentNode, type GraphQLField, type GraphQLSchema } from 'graphql';
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
  const costs = new CostCache();
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const variables = (args.variableValues ?? {}) as Record<string, unknown>;
      const cost = costs.of(args.schema, args.document, args.operationName ?? undefined, variables);
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

/** Costs remembered per document and operation, for so many variable shapes each. */
const SHAPES_PER_OPERATION = 32;

/**
 * A document's cost depends on its variables only through numbers (`first: $n`), list lengths
 * and booleans (`@include(if: $x)`): never through a string. So it is computed once per shape of
 * the variables (`{id:s}` for any one ID number) and remembered with the parsed document, which
 * yoga reuses for every request sending the same text: the walk of the document was the most
 * expensive step of a look-up after the database.
 */
class CostCache {
  private readonly bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, number>>>();

  of(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>): number {
    let byDocument = this.bySchema.get(schema);
    if (!byDocument) this.bySchema.set(schema, (byDocument = new WeakMap()));
    let byShape = byDocument.get(document);
    if (!byShape) byDocument.set(document, (byShape = new Map()));
    const key = `${operationName ?? ''}|${shape(variables)}`;
    let cost = byShape.get(key);
    if (cost === undefined) {
      cost = getComplexity({ schema, query: document, variables, operationName, estimators: [estimate] });
      if (byShape.size >= SHAPES_PER_OPERATION) byShape.delete(byShape.keys().next().value!);
      byShape.set(key, cost);
    }
    return cost;
  }
}

/** What of a value can change a cost: strings are `s` whatever they say. */
function shape(value: unknown): string {
  if (typeof value === 'string') return 's';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `[${value.map(shape).join(',')}]`;
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${shape(v)}`).join(',')}}`;
  return typeof value;
}
