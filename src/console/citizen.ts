import type { IResolvers } from '@graphql-tools/utils';
import { getOperationAST, Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { CITIZEN_DEPARTMENT } from '../access/index.js';
import { accessesAbout, type AccessRecord } from '../audit/index.js';
import type { HubContext } from '../server/context.js';
import { decodeCursor, encodeCursor, pageSize } from '../server/connections.js';
import { HubError } from '../server/errors.js';

/** What a citizen principal may select at the root of an operation: their own access log, nothing else. */
const CITIZEN_FIELDS = new Set(['myAccessLog', '__typename']);

/** The resource a citizen's reading of their own log is entered under in the audit trail. */
export const MY_ACCESS_LOG = 'audit.my-access-log';

/** Root fields an operation selects, through fragments too; null when the operation is not found. */
export function rootFields(document: DocumentNode, operationName?: string | null): string[] | null {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null;
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const names: string[] = [];
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) names.push(s.name.value);
      else if (s.kind === Kind.INLINE_FRAGMENT) visit(s.selectionSet);
      else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        const fragment = fragments.get(s.name.value);
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  visit(operation.selectionSet);
  return names;
}

/**
 * A citizen token opens one door: `myAccessLog`. Any other operation a citizen sends (a query of a
 * base library, the catalogue, introspection, any mutation) is refused before it runs, with
 * `FORBIDDEN` (reason `citizen-scope`), and the refusal is entered in the audit trail. The access
 * policy would refuse them too (a citizen has no role and no grant); this makes it total.
 */
export function useCitizenScope(): Plugin<HubContext> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (!args.contextValue.access.principal?.citizen) return;
      const fields = rootFields(args.document, args.operationName);
      const outside = fields === null ? ['(operation)'] : fields.filter((f) => !CITIZEN_FIELDS.has(f));
      if (outside.length) {
        setResultAndStopExecution({
          errors: [new HubError('FORBIDDEN', `A citizen may read their own access log (myAccessLog) only, not ${outside.join(', ')}.`, { reason: 'citizen-scope', fields: outside })],
        });
      }
    },
  };
}

export const citizenResolvers: IResolvers<unknown, HubContext> = {
  Query: {
    myAccessLog: async (_root, args: { first?: number | null; after?: string | null }, ctx) => {
      const citizen = ctx.access.principal?.citizen;
      if (!citizen) {
        throw new HubError('FORBIDDEN', 'myAccessLog is for citizens signed in with a citizen token; auditors use accessLog.', { reason: 'citizen-only' });
      }
      const first = pageSize(args.first);
      const before = (decodeCursor(args.after, ['number'])?.[0] as number | undefined) ?? null;
      // The citizen's look at their own log is an access about them: entered before the answer like any other.
      const touched = ctx.access.touched.get(MY_ACCESS_LOG) ?? { fields: new Set<string>(), subjects: new Set<string>() };
      touched.fields.add('myAccessLog');
      touched.subjects.add(citizen);
      ctx.access.touched.set(MY_ACCESS_LOG, touched);
      const { records, hasMore } = await accessesAbout(ctx.hub.db.pool, citizen, { first, before }, { excludeDepartment: CITIZEN_DEPARTMENT });
      // Newest first, as accessLog: the keyset is the sequence number, descending.
      const edges = records.map((node: AccessRecord) => ({ cursor: encodeCursor([node.seq]), node }));
      return {
        edges,
        pageInfo: { hasNextPage: hasMore, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
      };
    },
  },
};
