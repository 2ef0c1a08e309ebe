import type pg from 'pg';
import { ensureHubKeys, HubKeyRing, type HubKey } from './hub-key.js';
import { CheckpointFile } from './checkpoint-file.js';
import { AuditLog, type AuditLogOptions } from './log.js';

export { AuditLog, type AuditLogOptions } from './log.js';
export { entryHash, GENESIS_HASH, type AuditDraft, type AuditEntry, type AuditedChange, type ResourceAccess } from './entry.js';
export {
  ensureHubKeys,
  HUB_KEY_ALG,
  HUB_KEY_FILE,
  hubKeyFile,
  HubKeyError,
  HubKeyRing,
  loadHubKey,
  loadHubKeys,
  rotateHubKey,
  type HubKey,
  type HubKeys,
  type RetiredHubKey,
} from './hub-key.js';
export { readCheckpoint, signCheckpoint, CHECKPOINT_TYPE, type CheckpointClaim, type CheckpointReading } from './checkpoints.js';
export { CheckpointFile, CHECKPOINT_FILE, type FileCheckpoint } from './checkpoint-file.js';
export { verifyChain, type ChainBreak, type ChainProblem, type ChainReport } from './verify.js';
export { accessesAbout, type AccessRecord } from './tracker.js';
export { draftFor, refusalDraft, releasedDraft, UNAUTHENTICATED_CALLER } from './draft.js';
export { auditResolvers } from './graphql.js';

/** The audit trail as the running hub holds it. */
export interface Audit {
  log: AuditLog;
  /** The hub's keys, current and retired, re-read after a rotation. */
  keys: HubKeyRing;
  /** The key that signs now (`keys.current.current`). */
  readonly key: HubKey;
  /** The checkpoints kept outside the database. */
  checkpointFile: CheckpointFile;
}

/** True when the database and the checkpoint file hold no audit history: only then may a first hub key be made. */
export async function hasNoAuditHistory(pool: pg.Pool, checkpointFile: CheckpointFile): Promise<boolean> {
  const { rows } = await pool.query<{ used: boolean }>('select exists (select 1 from audit_entry) or exists (select 1 from audit_checkpoint) as used');
  return !rows[0].used && (await checkpointFile.read()).checkpoints.length === 0;
}

/**
 * Opens the trail: the hub key (made here only for a hub with no audit history: no entries or
 * checkpoints in the database, none in the checkpoint file), the checkpoint file, and the log.
 */
export async function createAudit(
  dataDir: string,
  db: { url: string; pool: pg.Pool; clientOptions?: pg.ClientConfig },
  options: AuditLogOptions & { checkpointFilePath: string; onKeyCreated?: (kid: string, file: string) => void },
): Promise<Audit> {
  const checkpointFile = new CheckpointFile(options.checkpointFilePath);
  const keys = await ensureHubKeys(dataDir, {
    isNewHub: () => hasNoAuditHistory(db.pool, checkpointFile),
    onCreated: options.onKeyCreated,
  });
  const ring = await HubKeyRing.open(dataDir, keys);
  // A hub from before the file existed: its file starts with the checkpoints the database holds.
  if (!checkpointFile.exists) {
    const { rows } = await db.pool.query<{ seq: string; hash: string; kid: string; jws: string }>('select seq, hash, kid, jws from audit_checkpoint order by seq');
    await checkpointFile.append(rows.map((r) => ({ ...r, seq: Number(r.seq) })));
  }
  return {
    keys: ring,
    get key() {
      return ring.current.current;
    },
    checkpointFile,
    log: new AuditLog(db, ring, { ...options, checkpointFile }),
  };
}
