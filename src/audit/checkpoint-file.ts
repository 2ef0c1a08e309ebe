import { existsSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Checkpoints written outside the database: one JSON line per signed checkpoint, appended to a file
 * (by default `audit-checkpoints.jsonl` in the data directory; `HUITONG_AUDIT_CHECKPOINT_FILE`, e.g.
 * on a mount another host backs up). Whoever owns the database can remove entries, checkpoints and
 * reset the head with the triggers off; these lines stay, so the verifier can tell the chain once
 * reached `seq` with `hash`. Each line carries the checkpoint's JWS, so a line cannot be forged
 * without the hub key. Hub instances sharing a data directory append to the same file (O_APPEND
 * writes of one line each).
 */
export const CHECKPOINT_FILE = 'audit-checkpoints.jsonl';

export interface FileCheckpoint {
  seq: number;
  hash: string;
  kid: string;
  jws: string;
}

export class CheckpointFile {
  constructor(readonly file: string) {}

  get exists(): boolean {
    return existsSync(this.file);
  }

  /** Appends and flushes to disk before returning. */
  async append(checkpoints: readonly FileCheckpoint[]): Promise<void> {
    if (!checkpoints.length) return;
    await mkdir(path.dirname(this.file), { recursive: true });
    const handle = await open(this.file, 'a', 0o600);
    try {
      const lines = checkpoints.map(({ seq, hash, kid, jws }) => `${JSON.stringify({ seq, hash, kid, jws })}\n`).join('');
      await handle.write(lines);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /** Every line, in seq order, one per seq; a line that is not a checkpoint is reported by `unreadable`. */
  async read(): Promise<{ checkpoints: FileCheckpoint[]; unreadable: number[] }> {
    if (!this.exists) return { checkpoints: [], unreadable: [] };
    const bySeq = new Map<number, FileCheckpoint>();
    const unreadable: number[] = [];
    (await readFile(this.file, 'utf8')).split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      try {
        const c = JSON.parse(line) as FileCheckpoint;
        if (!Number.isSafeInteger(c.seq) || typeof c.hash !== 'string' || typeof c.jws !== 'string') throw new Error();
        bySeq.set(c.seq, c);
      } catch {
        unreadable.push(i + 1);
      }
    });
    return { checkpoints: [...bySeq.values()].sort((a, b) => a.seq - b.seq), unreadable };
  }
}
