import {
  getNamedType,
  isObjectType,
  isInterfaceType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { schemaReach } from './reach.js';
import type { Registers } from './registers.js';
import type { Principal, StatedPurpose } from './session.js';

/** Why a stated purpose was refused. */
export type PurposeProblem = 'missing-purpose' | 'missing-case-number' | 'unknown-purpose' | 'malformed-case-number';

export class PurposeRefused extends Error {
  /** Who stated it, once the token is verified: the refusal is audited under their name. */
  principal: Principal | null = null;
  constructor(readonly reason: PurposeProblem) {
    super(`purpose refused: ${reason}`);
  }
}

/** 1 to 64 printable ASCII characters, not starting or ending with a space (HTTP headers are not UTF-8). */
const CASE_NUMBER = /^[\x21-\x7e](?:[\x20-\x7e]{0,62}[\x21-\x7e])?$/;

/**
 * The purpose a request states in `X-Purpose` and `X-Case-Number`: null when it states none,
 * refused when it states one that is unregistered or incomplete (a caller is told at once, even
 * if this operation would not have needed it).
 */
export async function readStatedPurpose(headers: Headers, registers: Registers): Promise<StatedPurpose | null> {
  const code = headers.get('x-purpose')?.trim();
  const caseNumber = headers.get('x-case-number')?.trim();
  if (!code && !caseNumber) return null;
  if (!code) throw new PurposeRefused('missing-purpose');
  if (!caseNumber) throw new PurposeRefused('missing-case-number');
  if (!CASE_NUMBER.test(caseNumber)) throw new PurposeRefused('malformed-case-number');
  if (code.length > 64 || !(await registers.isPurpose(code))) throw new PurposeRefused('unknown-purpose');
  return Object.freeze({ code, caseNumber });
}

const decided = new WeakMap<DocumentNode, Map<string, boolean>>();

/**
 * Whether executing the operation could touch resource data: select a field whose type reaches a
 * `@resource` type, whatever it selects below it (a bare `totalCount` or `pageInfo` of a filtered
 * list, or a look-up's argument, concerns the records as much as their fields). Decided from the
 * document and the schema alone, before anything runs, following fragments and abstract types;
 * once per parsed document (yoga caches parsed documents, so a repeated query costs a WeakMap look-up).
 */
export function readsResource(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): boolean {
  let byOperation = decided.get(document);
  if (!byOperation) decided.set(document, (byOperation = new Map()));
  const key = operationName ?? '';
  let reads = byOperation.get(key);
  if (reads === undefined) byOperation.set(key, (reads = decide(schema, document, operationName)));
  return reads;
}

function decide(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): boolean {
  const { reaching } = schemaReach(schema);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return false;
  const root = schema.getRootType(operation.operation);
  if (!root) return false;
  const seen = new Set<string>();

  const visit = (set: SelectionSetNode, parent: GraphQLCompositeType): boolean =>
    set.selections.some((selection) => {
      switch (selection.kind) {
        case Kind.FIELD: {
          if (!isObjectType(parent) && !isInterfaceType(parent)) return false;
          const field = parent.getFields()[selection.name.value];
          // A type that reaches no resource type holds none below it either.
          return !!field && reaching.has(getNamedType(field.type).name);
        }
        case Kind.INLINE_FRAGMENT: {
          const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
          return !!type && visit(selection.selectionSet, type as GraphQLCompositeType);
        }
        case Kind.FRAGMENT_SPREAD: {
          const fragment = fragments.get(selection.name.value);
          if (!fragment || seen.has(fragment.name.value)) return false;
          seen.add(fragment.name.value);
          const type = schema.getType(fragment.typeCondition.name.value);
          return !!type && visit(fragment.selectionSet, type as GraphQLCompositeType);
        }
      }
    });

  return visit(operation.selectionSet, root);
}
