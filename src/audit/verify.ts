import type pg from 'pg';
import type { FileCheckpoint } from './checkpoint-file.js';
import { readCheckpoint, type CheckpointReading } from './checkpoints.js';
import { ENTRY_COLUMNS, entryHash, GENESIS_HASH, type AuditEntry } from './entry.js';
import { asHubKeys, type HubKey, type HubKeys } from './hub-key.js';

export type ChainProblem =
  | 'changed'
  | 'removed'
  | 'reordered'
  | 'rewritten'
  | 'forged-checkpoint'
  | 'missing-tail'
  | 'missing-checkpoint'
  | 'head-reset';

export interface ChainBreak {
  /** The first entry found changed, removed or out of place (for a checkpoint problem: the checkpoint's seq). */
  seq: number;
  problem: ChainProblem;
  detail: string;
}

export interface ChainReport {
  ok: boolean;
  /** Entries and checkpoints (in the database) checked. */
  entries: number;
  checkpoints: number;
  firstBreak: ChainBreak | null;
  /** Every problem found once the walk itself held (the walk stops at its first break). */
  problems: ChainBreak[];
}

export interface VerifyOptions {
  /** Checkpoints kept outside the database (`audit-checkpoints.jsonl`), read by the caller. */
  anchors?: readonly FileCheckpoint[];
  /** A checkpoint must exist at every multiple of this many entries, in the database and in the file. */
  checkpointEvery?: number;
}

const PAGE = 5000;
/** Missing count checkpoints named one by one up to this many, then summarised. */
const NAMED = 10;

/**
 * Walks the whole chain in order, recomputing every hash and every link, then checks each signed
 * checkpoint against the entry it names. A row edited in place shows as `changed` (its content no
 * longer gives its hash); a missing row as `removed` (a gap in seq, or a head or checkpoint past the
 * last row); a row moved or relinked as `reordered`. A stretch rewritten with recomputed hashes is
 * internally consistent, so the signed checkpoints catch it: `rewritten`, naming the first entry
 * after the last checkpoint that still holds.
 *
 * Against the database's owner, who can delete rows and reset the head with the triggers off, the
 * checkpoints written outside the database (`anchors`) say how far the chain had reached: entries
 * missing up to an anchor are a `missing-tail`; a head behind the entries or behind an anchor is
 * `head-reset`; a checkpoint expected by count (every `checkpointEvery` entries) that is absent from
 * the database or from the file is `missing-checkpoint`. Each names what is missing.
 */
export async function verifyChain(pool: pg.Pool, hubKeys: HubKeys | HubKey, options: VerifyOptions = {}): Promise<ChainReport> {
  const keys = asHubKeys(hubKeys);
  const anchors = options.anchors ?? [];
  const checkpoints = (await pool.query<{ seq: string; hash: string; jws: string }>('select seq, hash, jws from audit_checkpoint order by seq')).rows.map(
    (c) => ({ ...c, seq: Number(c.seq) }),
  );
  const headRow = (await pool.query<{ seq: string; hash: string }>('select seq, hash from audit_head')).rows[0];
  const head = headRow ? { seq: Number(headRow.seq), hash: headRow.hash } : null;
  const hashAt = new Map<number, string>();
  const wanted = new Set([...checkpoints.map((c) => c.seq), ...anchors.map((a) => a.seq)]);
  let expected = 1;
  let prevHash = GENESIS_HASH;
  let entries = 0;
  const checked = checkpoints.length;
  const report = (firstBreak: ChainBreak): ChainReport => ({ ok: false, entries, checkpoints: checked, firstBreak, problems: [firstBreak] });

  for (;;) {
    const { rows } = await pool.query<AuditEntry>(`select ${ENTRY_COLUMNS} from audit_entry where seq >= $1 order by seq limit ${PAGE}`, [expected]);
    for (const row of rows) {
      const entry = { ...row, seq: Number(row.seq) }; // int8 arrives as text; exact to 2^53
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

  const problems: ChainBreak[] = [];
  let lastGood = 0;
  for (const checkpoint of checkpoints) {
    const reading = await readCheckpoint(keys, checkpoint.jws);
    const claim = reading.ok ? reading.claim : null;
    if (!claim || claim.seq !== checkpoint.seq || claim.hash !== checkpoint.hash) {
      problems.push({ seq: checkpoint.seq, problem: 'forged-checkpoint', detail: `checkpoint at ${checkpoint.seq} ${notSigned(reading)}` });
      break;
    }
    const hash = hashAt.get(checkpoint.seq);
    if (hash === undefined) {
      problems.push({ seq: expected, problem: 'removed', detail: `the chain ends at ${expected - 1}, before the checkpoint at ${checkpoint.seq}` });
      break;
    }
    if (hash !== claim.hash) {
      problems.push({
        seq: lastGood + 1,
        problem: 'rewritten',
        detail: `entries ${lastGood + 1} to ${checkpoint.seq} were rewritten after the checkpoint at ${checkpoint.seq} was signed`,
      });
      break;
    }
    lastGood = checkpoint.seq;
  }

  const lastAnchor = anchors.at(-1);
  if (lastAnchor && lastAnchor.seq > entries) {
    problems.push({
      seq: entries + 1,
      problem: 'missing-tail',
      detail:
        `entries ${entries + 1} to ${lastAnchor.seq} are missing: the checkpoint file records the chain at ${lastAnchor.seq}` +
        (entries ? `, the database ends at ${entries}` : ', the database holds no entries'),
    });
  }
  for (const anchor of anchors) {
    const reading = await readCheckpoint(keys, anchor.jws);
    const claim = reading.ok ? reading.claim : null;
    if (!claim || claim.seq !== anchor.seq || claim.hash !== anchor.hash) {
      problems.push({ seq: anchor.seq, problem: 'forged-checkpoint', detail: `the checkpoint file's line for ${anchor.seq} ${notSigned(reading)}` });
      break;
    }
    const hash = hashAt.get(anchor.seq);
    if (hash !== undefined && hash !== anchor.hash) {
      problems.push({ seq: anchor.seq, problem: 'rewritten', detail: `entry ${anchor.seq} differs from the checkpoint file's record of it` });
      break;
    }
  }

  if (head && head.seq < Math.max(entries, lastAnchor?.seq ?? 0)) {
    const reached = Math.max(entries, lastAnchor?.seq ?? 0);
    problems.push({ seq: head.seq + 1, problem: 'head-reset', detail: `the head says ${head.seq} but the chain reached ${reached}` });
  } else if (head && head.seq > entries) {
    problems.push({ seq: expected, problem: 'removed', detail: `the chain ends at ${entries} but its head says ${head.seq}` });
  }

  if (options.checkpointEvery) {
    const reached = Math.max(entries, lastAnchor?.seq ?? 0, head?.seq ?? 0);
    const inDatabase = new Set(checkpoints.map((c) => c.seq));
    const inFile = new Set(anchors.map((a) => a.seq));
    for (const [where, held] of [['the database', inDatabase], ['the checkpoint file', inFile]] as const) {
      const missing: number[] = [];
      for (let seq = options.checkpointEvery; seq <= reached; seq += options.checkpointEvery) if (!held.has(seq)) missing.push(seq);
      if (missing.length) {
        const named = missing.slice(0, NAMED).join(', ') + (missing.length > NAMED ? ` and ${missing.length - NAMED} more` : '');
        problems.push({
          seq: missing[0],
          problem: 'missing-checkpoint',
          detail: `checkpoints expected every ${options.checkpointEvery} entries are missing from ${where}: at ${named}`,
        });
      }
    }
  }
  return { ok: problems.length === 0, entries, checkpoints: checked, firstBreak: problems[0] ?? null, problems };
}

/** Why a checkpoint does not hold, in words: which key it names, and whether the hub ever had it. */
function notSigned(reading: CheckpointReading): string {
  if (reading.ok) return 'claims another entry than the one it is stored for';
  if (reading.why === 'unknown-key') return `names key ${reading.kid}, which is not among the hub's keys (current or retired)`;
  if (reading.why === 'malformed') return 'is not a JWS';
  return reading.kid ? `is not signed by the hub key ${reading.kid} it names` : 'is not signed by the hub';
}
