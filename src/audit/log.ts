import type pg from 'pg';
import { signCheckpoint } from './checkpoints.js';
import { entryHash, type AuditDraft, type AuditEntry } from './entry.js';
import type { HubKey } from './hub-key.js';

export interface AuditLogOptions {
  /** A checkpoint is signed each time the chain passes a multiple of this many entries. (Default: 1000) */
  checkpointEvery?: number;
  /** ... and at least this often while entries arrive, so a quiet chain is signed too. (Default: 60000 ms) */
  checkpointIntervalMs?: number;
  /** Most entries written in one transaction. (Default: 500) */
  maxBatch?: number;
}

interface Pending {
  draft: AuditDraft;
  resolve(seq: number): void;
  reject(err: unknown): void;
}

interface Head {
  seq: number;
  hash: string;
}

/**
 * The append-only audit chain, written by group commit: entries recorded while a batch is being
 * written wait and go together in the next one, one round trip and one durable commit for all
 * (`audit_append`). The chain is computed from the head this instance last wrote; the database
 * locks and checks that head before appending, so several hub instances keep one unbroken chain: a
 * stale instance recomputes its batch under the head's row lock.
 */
export class AuditLog {
  /** Entries and transactions written so far: their ratio shows how well group commit works. */
  entriesWritten = 0;
  batchesWritten = 0;
  private queue: Pending[] = [];
  private draining: Promise<void> | null = null;
  private head: Head | null = null;
  private readonly checkpointEvery: number;
  private readonly maxBatch: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pool: pg.Pool,
    private readonly key: HubKey,
    options: AuditLogOptions = {},
  ) {
    this.checkpointEvery = options.checkpointEvery ?? 1000;
    this.maxBatch = options.maxBatch ?? 500;
    this.timer = setInterval(() => {
      this.checkpointHead().catch(() => {}); // retried at the next tick; verification reports what is unsigned
    }, options.checkpointIntervalMs ?? 60_000);
    this.timer.unref();
  }

  /** Stops the checkpoint timer and waits for recorded entries to be written. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /**
   * Signs the head unless the last checkpoint already covers it; under the head's row lock, so two
   * instances do not sign the same head twice.
   */
  async checkpointHead(): Promise<void> {
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query('begin');
      const head = (await client.query<Head>('select seq::int as seq, hash from audit_head for update')).rows[0];
      const signed = (await client.query<{ seq: number | null }>('select max(seq)::int as seq from audit_checkpoint')).rows[0].seq ?? 0;
      if (head.seq > signed) {
        const jws = await signCheckpoint(this.key, { seq: head.seq, hash: head.hash, at: new Date().toISOString() });
        await client.query('insert into audit_checkpoint (seq, hash, kid, jws) values ($1, $2, $3, $4)', [head.seq, head.hash, this.key.kid, jws]);
      }
      await client.query('commit');
    } catch (err) {
      failure = err as Error;
      await client.query('rollback').catch(() => {});
      throw err;
    } finally {
      client.release(failure);
    }
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

  /**
   * Optimistically from the head this instance last wrote (one round trip); when another instance
   * moved it meanwhile, or it is not known yet, under the head's row lock (which always succeeds).
   */
  private async write(drafts: AuditDraft[]): Promise<number[]> {
    if (this.head) {
      try {
        return await this.append(this.pool, this.head, drafts);
      } catch (err) {
        this.head = null;
        if ((err as { code?: string }).code !== '40001') throw err;
      }
    }
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query('begin');
      const { rows } = await client.query<Head>('select seq::int as seq, hash from audit_head for update');
      const seqs = await this.append(client, rows[0], drafts);
      await client.query('commit');
      return seqs;
    } catch (err) {
      failure = err as Error;
      this.head = null;
      await client.query('rollback').catch(() => {});
      throw err;
    } finally {
      client.release(failure); // a failed connection is discarded, not reused
    }
  }

  /** Appends the drafts after `head` through `audit_append`, which refuses a head that moved (40001). */
  private async append(db: pg.Pool | pg.PoolClient, head: Head, drafts: AuditDraft[]): Promise<number[]> {
    const entries = chain(head, drafts);
    const last = entries.at(-1)!;
    const checkpoint =
      Math.floor(last.seq / this.checkpointEvery) > Math.floor(head.seq / this.checkpointEvery)
        ? { seq: last.seq, hash: last.hash, kid: this.key.kid, jws: await signCheckpoint(this.key, { seq: last.seq, hash: last.hash, at: new Date().toISOString() }) }
        : null;
    await db.query('select audit_append($1, $2, $3, $4, $5, $6)', [
      head.seq,
      head.hash,
      JSON.stringify(entries.map(row)),
      last.seq,
      last.hash,
      checkpoint && JSON.stringify(checkpoint),
    ]);
    this.head = { seq: last.seq, hash: last.hash };
    this.entriesWritten += entries.length;
    this.batchesWritten += 1;
    return entries.map((e) => e.seq);
  }
}

/** Gives each draft its place after `head`, each hash covering its predecessor's. */
function chain(head: Head, drafts: AuditDraft[]): AuditEntry[] {
  let { seq, hash: prevHash } = head;
  return drafts.map((draft) => {
    seq += 1;
    const hash = entryHash(prevHash, { ...draft, seq });
    const entry = { ...draft, seq, prevHash, hash };
    prevHash = hash;
    return entry;
  });
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
