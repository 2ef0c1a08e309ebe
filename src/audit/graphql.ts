import type { IResolvers } from '@graphql-tools/utils';
import type { HubContext } from '../server/context.js';
import { decodeCursor, encodeCursor, pageSize } from '../server/connections.js';
import { badUserInput, HubError } from '../server/errors.js';
import { accessesAbout, type AccessRecord } from './tracker.js';
import { verifyChain, type ChainBreak } from './verify.js';

/** A subject identifier: ID number, credit code, unit number or division code. */
const SUBJECT = /^[0-9A-Za-z-]{1,64}$/;

/** The trail shows every department's accesses: only the hub operator's auditors read it. */
function requireAuditor({ access, hub }: HubContext): void {
  if (!access.principal?.roles.includes('auditor')) {
    throw new HubError('FORBIDDEN', 'Only auditors may read the audit trail.', { reason: 'role-required', role: 'auditor' });
  }
  if (access.principal.department !== hub.config.operatorDepartment) {
    throw new HubError('FORBIDDEN', `Only auditors of the hub operator (${hub.config.operatorDepartment}) read the audit trail.`, { reason: 'operator-only' });
  }
}

/**
 * Auditors' own reads are audited too (MLPS level 3 asks that administrators' actions be recorded):
 * marked as touched, so the audit plugin writes their entry as it does any other, before the answer.
 */
function recordAuditorRead({ access }: HubContext, resource: string, field: string, subjects: string[] = []): void {
  const touched = access.touched.get(resource) ?? { fields: new Set<string>(), subjects: new Set<string>() };
  touched.fields.add(field);
  for (const subject of subjects) touched.subjects.add(subject);
  access.touched.set(resource, touched);
}

export const auditResolvers: IResolvers<unknown, HubContext> = {
  Query: {
    auditVerification: async (_root, _args, ctx) => {
      requireAuditor(ctx);
      recordAuditorRead(ctx, 'audit.verification', 'auditVerification');
      const { checkpoints: anchors } = await ctx.hub.audit.checkpointFile.read();
      const report = await verifyChain(ctx.hub.db.pool, await ctx.hub.audit.keys.refresh(), { anchors, checkpointEvery: ctx.hub.config.auditCheckpointEvery });
      const asEnum = (b: ChainBreak) => ({ ...b, problem: b.problem.replace('-', '_') });
      return { ...report, firstBreak: report.firstBreak && asEnum(report.firstBreak), problems: report.problems.map(asEnum) };
    },
    accessLog: async (_root, args: { subject: string; first: number; after?: string | null }, ctx) => {
      requireAuditor(ctx);
      const subject = args.subject.trim().toUpperCase();
      if (!SUBJECT.test(subject)) throw badUserInput('subject', 'an ID number, credit code, unit number or division code');
      const first = pageSize(args.first);
      const before = (decodeCursor(args.after, ['number'])?.[0] as number | undefined) ?? null;
      recordAuditorRead(ctx, 'audit.access-log', 'accessLog', [subject]);
      const { records, hasMore } = await accessesAbout(ctx.hub.db.pool, subject, { first, before });
      // Newest first: the keyset is the sequence number, descending.
      const edges = records.map((node) => ({ cursor: encodeCursor([node.seq]), node }));
      return {
        edges,
        pageInfo: { hasNextPage: hasMore, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
      };
    },
  },
  AccessRecord: {
    at: (record: AccessRecord) => record.at.toISOString(),
  },
};
