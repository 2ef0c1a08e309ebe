import type pg from 'pg';
import { loadHubKey, type HubKey } from './hub-key.js';
import { AuditLog, type AuditLogOptions } from './log.js';

export { AuditLog, type AuditLogOptions } from './log.js';
export { entryHash, GENESIS_HASH, type AuditDraft, type AuditEntry, type AuditedChange, type ResourceAccess } from './entry.js';
export { loadHubKey, HUB_KEY_FILE, type HubKey } from './hub-key.js';
export { verifyChain, type ChainBreak, type ChainProblem, type ChainReport } from './verify.js';
export { accessesAbout, type AccessRecord } from './tracker.js';
export { draftFor } from './draft.js';
export { auditResolvers } from './graphql.js';

/** The audit trail as the running hub holds it. */
export interface Audit {
  log: AuditLog;
  key: HubKey;
}

export async function createAudit(dataDir: string, db: { url: string; pool: pg.Pool }, options: AuditLogOptions = {}): Promise<Audit> {
  const key = await loadHubKey(dataDir);
  return { key, log: new AuditLog(db, key, options) };
}
