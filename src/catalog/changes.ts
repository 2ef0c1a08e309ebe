import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { AuditDraft, AuditedChange } from '../audit/index.js';
import { HubError } from '../server/errors.js';
import { DeclarationError } from './declaration.js';

/** Where a change's audit entry goes: the hub's audit log (anything with its `record`). */
export interface ChangeTrail {
  record(draft: AuditDraft): Promise<number>;
}

/** Who makes a change: a department system, or the operator at the command line. */
export interface ChangeActor {
  department: string;
  system: string;
  roles: readonly string[];
}

/** A change about to be made: what is asked, with its arguments and reason. */
export type AskedChange = Omit<AuditedChange, 'detail'>;

/** The audit entry of a change (or of a refused attempt at one). */
export function changeDraft(actor: ChangeActor, change: AuditedChange, outcome: string): AuditDraft {
  const asked = JSON.stringify({ action: change.action, arguments: change.arguments ?? null });
  return {
    at: new Date(),
    department: actor.department,
    system: actor.system,
    roles: [...actor.roles],
    purpose: null,
    caseNumber: null,
    operationName: change.action,
    // No GraphQL document for command-line changes: the hash is of what was asked.
    documentHash: createHash('sha256').update(asked).digest('hex'),
    resources: [],
    subjects: [],
    resultSize: 0,
    outcome,
    change: { ...change, arguments: change.arguments ?? null, detail: change.detail ?? null },
  };
}

/** `denied:CODE` for a refusal by authority, `failed:CODE` for anything else, as data reads record them. */
export function refusalOutcome(err: unknown): { outcome: string; detail: { code: string; message: string; reason?: unknown } } {
  const code = err instanceof HubError ? err.code : err instanceof DeclarationError ? 'BAD_USER_INPUT' : 'INTERNAL';
  const reason = err instanceof HubError ? err.extensions.reason : undefined;
  const denied = code === 'FORBIDDEN' || code === 'UNAUTHENTICATED';
  return {
    outcome: `${denied ? 'denied' : 'failed'}:${code}`,
    detail: { code, message: code === 'INTERNAL' ? 'internal error' : (err as Error).message, ...(reason ? { reason } : {}) },
  };
}

export const auditUnavailable = () =>
  new HubError('AUDIT_UNAVAILABLE', 'The audit trail could not record the change, so it was not made.');

/**
 * Makes a change in one transaction that commits only after its audit entry is durable: a change
 * the trail cannot record does not happen. A refused or failed attempt is rolled back and then
 * recorded too; if even that cannot be recorded, the caller is told `AUDIT_UNAVAILABLE`. Work that
 * reports itself `unchanged` commits with no entry (it wrote nothing).
 */
export async function auditedChange<T>(
  pool: pg.Pool,
  trail: ChangeTrail,
  actor: ChangeActor,
  asked: AskedChange,
  work: (client: pg.PoolClient) => Promise<{ result: T; detail?: unknown; unchanged?: boolean }>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('begin');
    let done: { result: T; detail?: unknown; unchanged?: boolean };
    try {
      done = await work(client);
    } catch (err) {
      await client.query('rollback').catch(() => {});
      const { outcome, detail } = refusalOutcome(err);
      await trail.record(changeDraft(actor, { ...asked, detail }, outcome)).catch(() => {
        throw auditUnavailable();
      });
      throw err;
    }
    try {
      // A sync that found nothing to change (every start, mostly) changed nothing to record.
      if (!done.unchanged) await trail.record(changeDraft(actor, { ...asked, detail: done.detail }, 'ok'));
    } catch {
      await client.query('rollback').catch(() => {});
      throw auditUnavailable();
    }
    await client.query('commit');
    return done.result;
  } catch (err) {
    if (!(err instanceof HubError) && !(err instanceof DeclarationError)) broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}

/** The audit trail a command-line change is entered in: the hub key from the data directory, the operator as actor. */
export async function openCommandTrail(
  config: { dataDir: string; operatorDepartment: string; auditCheckpointEvery: number; auditCheckpointFile: string },
  db: { url: string; pool: pg.Pool },
  command: string,
): Promise<{ log: ChangeTrail; actor: ChangeActor; close(): Promise<void> }> {
  const { createAudit } = await import('../audit/index.js');
  const audit = await createAudit(config.dataDir, db, { checkpointEvery: config.auditCheckpointEvery, checkpointFilePath: config.auditCheckpointFile });
  return {
    log: audit.log,
    // The person at the command line acts for the hub's operator; `system` names the command.
    actor: { department: config.operatorDepartment, system: `huitong-${command}`, roles: ['platform-admin'] },
    close: () => audit.log.close(),
  };
}

/**
 * Only for building the test suite's template database and benchmark databases, whose audit chains
 * must start empty: it records nothing. Never used by `serve`, `seed` or any command.
 */
export const fixtureTrail = (): { log: ChangeTrail; actor: ChangeActor } => ({
  log: { record: async () => 0 },
  actor: { department: 'data-bureau', system: 'fixture', roles: [] },
});
