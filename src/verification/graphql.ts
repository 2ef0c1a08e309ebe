import type { IResolvers } from '@graphql-tools/utils';
import type { HubContext } from '../server/context.js';
import { badUserInput } from '../server/errors.js';
import { authorizeVerification, recordAccess, VERIFICATION_RESOURCE } from './access.js';
import { makeStatement, type StatementQuestion } from './statement.js';
import { verificationService } from './service.js';
import { readVerification, type StoredVerification } from './verify.js';
import { batchProgress, createBatch, currentRecipients, pauseBatch, resumeBatch, type BatchHousehold } from './batch.js';

/** A stored verification as the contract's `HouseholdVerification` shows it. */
export function verificationView(v: StoredVerification) {
  return {
    reference: v.reference,
    applicantIdNumber: v.applicantIdNumber,
    applicantName: v.members.find((m) => m.idNumber === v.applicantIdNumber)?.name ?? null,
    verdict: v.verdict,
    category: v.category,
    checkDate: v.checkDate,
    decidedAt: v.decidedAt,
    caseNumber: v.caller.caseNumber,
    department: v.caller.department,
    scheme: `${v.schemeCode}@${v.schemeVersion}`,
    householdNumber: v.householdNumber,
    divisionCode: v.divisionCode,
    area: v.area,
    householdSize: v.householdSize,
    householdMonthlyIncome: v.income.householdMonthly,
    perCapitaMonthlyIncome: v.income.perCapitaMonthly,
    standardMonthly: v.income.standardMonthly,
    marginLimit: v.income.marginLimit,
    incomePass: v.income.pass,
    tookMs: v.tookMs,
    standard: v.standard,
    members: v.members,
    differences: v.differences,
    items: v.items,
  };
}

const MAX_MEMBERS = 30;

export const verificationResolvers: IResolvers<unknown, HubContext> = {
  Query: {
    verification: async (_root, args: { reference: string }, ctx) => {
      recordAccess(ctx.access, [{ resource: VERIFICATION_RESOURCE, fields: ['op:read'], subjects: [] }]);
      const stored = await readVerification(ctx.hub.db.pool, args.reference.trim());
      if (!stored) return null;
      // The stored record concerns every member, whatever fields the caller is shown.
      recordAccess(ctx.access, [{ resource: VERIFICATION_RESOURCE, fields: ['op:read'], subjects: stored.members.map((m) => m.idNumber) }]);
      return verificationView(stored);
    },
    verificationBatch: async (_root, args: { id: string }, ctx) => {
      const { scheme } = verificationService(ctx.hub);
      authorizeVerification(ctx.hub, ctx.access, scheme, 'verificationBatch');
      return batchProgress(ctx.hub.db.pool, args.id);
    },
    verificationStatement: async (_root, args: { subject: string; question: StatementQuestion }, ctx) => {
      const subject = args.subject.trim().toUpperCase();
      if (!/^[0-9]{17}[0-9X]$/.test(subject)) throw badUserInput('subject', 'not a citizen ID number');
      // The answer is read from stored verifications: that read is entered, though only the answer leaves.
      recordAccess(ctx.access, [{ resource: VERIFICATION_RESOURCE, fields: ['verdict'], subjects: [subject] }]);
      return makeStatement(ctx.hub.db.pool, ctx.hub.audit.key, ctx.hub.config.publicUrl, subject, args.question);
    },
  },
  Mutation: {
    verifyHousehold: async (_root, args: { applicant: string; declaredMembers: string[]; asOf?: string | null }, ctx) => {
      const { scheme, verifier } = verificationService(ctx.hub);
      if (args.declaredMembers.length > MAX_MEMBERS) throw badUserInput('declaredMembers', `at most ${MAX_MEMBERS} members`);
      const { principal, purpose } = authorizeVerification(ctx.hub, ctx.access, scheme, 'verifyHousehold', [args.applicant, ...args.declaredMembers]);
      const { verification, accessed } = await verifier.verify(args, { department: principal.department, system: principal.system, purpose: purpose.code, caseNumber: purpose.caseNumber });
      recordAccess(ctx.access, accessed);
      ctx.hub.logger.info({ reference: verification.reference, verdict: verification.verdict, ms: verification.tookMs }, 'household verified');
      return verificationView(verification);
    },
    startVerificationBatch: async (_root, args: { name: string; households?: BatchHousehold[] | null; asOf?: string | null }, ctx) => {
      const { scheme } = verificationService(ctx.hub);
      const given = args.households ?? null;
      const subjects = given ? given.flatMap((h) => [h.applicant, ...h.declaredMembers]) : [];
      const { principal, purpose } = authorizeVerification(ctx.hub, ctx.access, scheme, 'startVerificationBatch', subjects);
      const households = given ?? (await currentRecipients(ctx.hub.db.pool));
      if (!given) recordAccess(ctx.access, [{ resource: 'civil-affairs.assistance', fields: ['householdApplicant', 'members'], subjects: households.flatMap((h) => [h.applicant, ...h.declaredMembers]) }]);
      const id = await createBatch(ctx.hub.db.pool, {
        name: args.name, households, asOf: args.asOf, chunk: ctx.hub.config.verificationBatchChunk,
        caller: { department: principal.department, system: principal.system, purpose: purpose.code, caseNumber: purpose.caseNumber },
      });
      return batchProgress(ctx.hub.db.pool, id);
    },
    pauseVerificationBatch: async (_root, args: { id: string }, ctx) => {
      authorizeVerification(ctx.hub, ctx.access, verificationService(ctx.hub).scheme, 'pauseVerificationBatch');
      await pauseBatch(ctx.hub.db.pool, args.id);
      return batchProgress(ctx.hub.db.pool, args.id);
    },
    resumeVerificationBatch: async (_root, args: { id: string }, ctx) => {
      authorizeVerification(ctx.hub, ctx.access, verificationService(ctx.hub).scheme, 'resumeVerificationBatch');
      await resumeBatch(ctx.hub.db.pool, args.id, ctx.hub.config.verificationBatchChunk);
      return batchProgress(ctx.hub.db.pool, args.id);
    },
  },
};


