import type pg from 'pg';
import { loadHubKey, type HubKey } from './hub-key.js';
import { CheckpointFile } from './checkpoint-file.js';
import { AuditLog, type AuditLogOptions } from './log.js';

export { AuditLog, type AuditLogOptions } from './log.js';
export { entryHash, GENESIS_HASH, type AuditDraft, type AuditEntry, type AuditedChange, type ResourceAccess } from './entry.js';
export { loadHubKey, HUB_KEY_FILE, type HubKey } from './hub-key.js';
export { CheckpointFile, CHECKPOINT_FILE, type FileCheckpoint } from './checkpoint-file.js';
export { verifyChain, type ChainBreak, type ChainProblem, type ChainReport } from './verify.js';
export { accessesAbout, type AccessRecord } from './tracker.js';
export { draftFor, refusalDraft, UNAUTHENTICATED_CALLER } from './draft.js';
export { auditResolvers } from './graphql.js';

/** The audit trail as the running hub holds it. */
export interface Audit {
  log: AuditLog;
  key: HubKey;
  /** The checkpoints kept outside the database. */
  checkpointFile: CheckpointFile;
}

export async function createAudit(
  dataDir: string,
  db: { url: string; pool: pg.Pool },
  options: AuditLogOptions & { checkpointFilePath: string },
): Promise<Audit> {
  const key = await loadHubKey(dataDir);
  const checkpointFile = new CheckpointFile(options.checkpointFilePath);
  // A hub from before the file existed: its file starts with the checkpoints the database holds.
  if (!checkpointFile.exists) {
    const { rows } = await db.pool.query<{ seq: string; hash: string; kid: string; jws: string }>('select seq, hash, kid, jws from audit_checkpoint order by seq');
    await checkpointFile.append(rows.map((r) => ({ ...r, seq: Number(r.seq) })));
  }
  return { key, checkpointFile, log: new AuditLog(db, key, { ...options, checkpointFile }) };
}
