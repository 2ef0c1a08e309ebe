import type pg from 'pg';
import { readCheckpoint } from './checkpoints.js';
import { ENTRY_COLUMNS, entryHash, GENESIS_HASH, type AuditEntry } from './entry.js';
import type { HubKey } from './hub-key.js';

export type ChainProblem = 'changed' | 'removed' | 'reordered' | 'rewritten' | 'forged-checkpoint';

export interface ChainBreak {
  /** The first entry found changed, removed or out of place (for `forged-checkpoint`: the checkpoint's seq). */
  seq: number;
  problem: ChainProblem;
  detail: string;
}

export interface ChainReport {
  ok: boolean;
  /** Entries and checkpoints checked. */
  entries: number;
  checkpoints: number;
  firstBreak: ChainBreak | null;
}

const PAGE = 5000;

/**
 * Walks the whole chain in order, recomputing every hash and every link, then checks each signed
 * checkpoint against the entry it names. A row edited in place shows as `changed` (its content no
 * longer gives its hash); a missing row as `removed` (a gap in seq, or a head or checkpoint past the
 * last row); a row moved or relinked as `reordered`. A stretch rewritten with recomputed hashes is
 * internally consistent, so the signed checkpoints catch it: `rewritten`, naming the first entry
 * after the last checkpoint that still holds.
 */
export async function verifyChain(pool: pg.Pool, key: HubKey): Promise<ChainReport> {
  const checkpoints = (await pool.query<{ seq: number; hash: string; jws: string }>('select seq::int, hash, jws from audit_checkpoint order by seq')).rows;
  const head = (await pool.query<{ seq: number; hash: string }>('select seq::int, hash from audit_head')).rows[0];
  const hashAt = new Map<number, string>();
  const wanted = new Set(checkpoints.map((c) => c.seq));
  let expected = 1;
  let prevHash = GENESIS_HASH;
  let entries = 0;
  const report = (firstBreak: ChainBreak): ChainReport => ({ ok: false, entries, checkpoints: checkpoints.length, firstBreak });

  for (;;) {
    const { rows } = await pool.query<AuditEntry>(`select ${ENTRY_COLUMNS} from audit_entry where seq >= $1 order by seq limit ${PAGE}`, [expected]);
    for (const entry of rows) {
      if (entry.seq !== expected) return report({ seq: expected, problem: 'removed', detail: `entry ${expected} is missing` });
      if (entryHash(entry.prevHash, entry) !== entry.hash) {
        return report({ seq: entry.seq, problem: 'changed', detail: `entry ${entry.seq} does not match its hash` });
      }
      if (entry.prevHash !== prevHash) {
        return report({ seq: entry.seq, problem: 'reordered', detail: `entry ${entry.seq} does not link to entry ${entry.seq - 1}` });
      }
      if (wanted.has(entry.seq)) hashAt.set(entry.seq, entry.hash);
      prevHash = entry.hash;
      expected += 1;
      entries += 1;
    }
    if (rows.length < PAGE) break;
  }

  let lastGood = 0;
  for (const checkpoint of checkpoints) {
    const claim = await readCheckpoint(key, checkpoint.jws);
    if (!claim || claim.seq !== checkpoint.seq || claim.hash !== checkpoint.hash) {
      return report({ seq: checkpoint.seq, problem: 'forged-checkpoint', detail: `checkpoint at ${checkpoint.seq} is not signed by the hub` });
    }
    const hash = hashAt.get(checkpoint.seq);
    if (hash === undefined) return report({ seq: expected, problem: 'removed', detail: `the chain ends at ${expected - 1}, before the checkpoint at ${checkpoint.seq}` });
    if (hash !== claim.hash) {
      return report({
        seq: lastGood + 1,
        problem: 'rewritten',
        detail: `entries ${lastGood + 1} to ${checkpoint.seq} were rewritten after the checkpoint at ${checkpoint.seq} was signed`,
      });
    }
    lastGood = checkpoint.seq;
  }
  if (head && head.seq > entries) {
    return report({ seq: expected, problem: 'removed', detail: `the chain ends at ${entries} but its head says ${head.seq}` });
  }
  return { ok: true, entries, checkpoints: checkpoints.length, firstBreak: null };
}
