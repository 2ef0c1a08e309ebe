import type pg from 'pg';
import { signCheckpoint } from './checkpoints.js';
import { entryHash, type AuditDraft, type AuditEntry } from './entry.js';
import type { HubKey } from './hub-key.js';

export interface AuditLogOptions {
  /** A checkpoint is signed each time the chain passes a multiple of this many entries. (Default: 1000) */
  checkpointEvery?: number;
  /** Most entries written in one transaction. (Default: 500) */
  maxBatch?: number;
}

interface Pending {
  draft: AuditDraft;
  resolve(seq: number): void;
  reject(err: unknown): void;
}

/**
 * The append-only audit chain, written by group commit: entries recorded while a batch is being
 * written wait and go together in the next one, one transaction and one durable commit for all.
 * Chain order is assigned inside the transaction while holding the lock on the one-row
 * `audit_head`, so several hub instances writing to one database keep one unbroken chain.
 */
export class AuditLog {
  private queue: Pending[] = [];
  private draining: Promise<void> | null = null;
  private readonly checkpointEvery: number;
  private readonly maxBatch: number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly key: HubKey,
    options: AuditLogOptions = {},
  ) {
    this.checkpointEvery = options.checkpointEvery ?? 1000;
    this.maxBatch = options.maxBatch ?? 500;
  }

  /** Resolves with the entry's place in the chain once it is committed; rejects if it could not be. */
  record(draft: AuditDraft): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ draft, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** Waits until every recorded entry is written. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    // Let the requests finishing in this turn of the event loop join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const seqs = await this.write(batch.map((p) => p.draft));
        batch.forEach((p, i) => p.resolve(seqs[i]));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.draining = null;
  }

  private async write(drafts: AuditDraft[]): Promise<number[]> {
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query('begin');
      const head = (await client.query<{ seq: string; hash: string }>('select seq, hash from audit_head for update')).rows[0];
      let seq = Number(head.seq);
      let prevHash = head.hash;
      const entries: AuditEntry[] = drafts.map((draft) => {
        seq += 1;
        const hash = entryHash(prevHash, { ...draft, seq });
        const entry = { ...draft, seq, prevHash, hash };
        prevHash = hash;
        return entry;
      });
      await client.query(
        `insert into audit_entry select * from jsonb_populate_recordset(null::audit_entry, $1::jsonb)`,
        [JSON.stringify(entries.map(row))],
      );
      await client.query('update audit_head set seq = $1, hash = $2', [seq, prevHash]);
      if (Math.floor(seq / this.checkpointEvery) > Math.floor(Number(head.seq) / this.checkpointEvery)) {
        const jws = await signCheckpoint(this.key, { seq, hash: prevHash, at: new Date().toISOString() });
        await client.query('insert into audit_checkpoint (seq, hash, kid, jws) values ($1, $2, $3, $4)', [seq, prevHash, this.key.kid, jws]);
      }
      await client.query('commit');
      return entries.map((e) => e.seq);
    } catch (err) {
      failure = err as Error;
      await client.query('rollback').catch(() => {});
      throw err;
    } finally {
      client.release(failure); // a failed connection is discarded, not reused
    }
  }
}

function row(e: AuditEntry) {
  return {
    seq: e.seq,
    at: e.at.toISOString(),
    department: e.department,
    system: e.system,
    roles: e.roles,
    purpose: e.purpose,
    case_number: e.caseNumber,
    operation_name: e.operationName,
    document_hash: e.documentHash,
    resources: e.resources,
    subjects: e.subjects,
    result_size: e.resultSize,
    outcome: e.outcome,
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}
