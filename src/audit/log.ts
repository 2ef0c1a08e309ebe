import pg from 'pg';
import type { CheckpointFile, FileCheckpoint } from './checkpoint-file.js';
import { signCheckpoint } from './checkpoints.js';
import { entryHash, type AuditDraft, type AuditEntry } from './entry.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import type { HubKeyRing } from './hub-key.js';

export interface AuditLogOptions {
  /** A checkpoint is signed each time the chain passes a multiple of this many entries. (Default: 1000) */
  checkpointEvery?: number;
  /** ... and at least this often while entries arrive, so a quiet chain is signed too. (Default: 60000 ms) */
  checkpointIntervalMs?: number;
  /** Most entries written in one transaction. (Default: 500) */
  maxBatch?: number;
  /** Where checkpoints are also written, outside the database. (Default: none) */
  checkpointFile?: CheckpointFile;
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
 * appended wait and go together in the next one, one round trip for all (`audit_append`).
 *
 * The chain is computed from the head this instance last wrote; the database locks and checks that
 * head before appending, so several hub instances keep one unbroken chain: a stale instance
 * recomputes its batch under the head's row lock.
 *
 * Each append commits synchronously (on a connection of its own, `synchronous_commit = on`
 * whatever the server's default), and nobody is answered before the batch holding their entry is
 * on disk. The next batch gathers while one is written, so the busier the hub, the larger the
 * batches: one round trip, one commit and one flush of the write-ahead log for many entries.
 * The head's row lock is held through that flush, so several instances take turns a batch at a
 * time. (An earlier design committed appends asynchronously and then flushed with a second,
 * synchronous commit: two round trips and two commits per batch where one does.)
 */
export class AuditLog {
  /** Entries and appends written so far: their ratio shows how well group commit works. */
  entriesWritten = 0;
  batchesWritten = 0;
  /** Called after each batch is written (or failed), with its size and seconds from append to commit: for `/metrics`. */
  onBatch: ((entries: number, seconds: number, ok: boolean) => void) | null = null;
  private queue: Pending[] = [];
  private unavailable: { err: unknown; until: number } | null = null;
  private draining: Promise<void> | null = null;
  private head: Head | null = null;
  private appender: Promise<pg.Client> | null = null;
  private readonly checkpointEvery: number;
  private readonly maxBatch: number;
  private readonly timer: NodeJS.Timeout;
  private readonly file: CheckpointFile | null;

  constructor(
    private readonly db: { url: string; pool: pg.Pool; clientOptions?: pg.ClientConfig },
    private readonly keys: HubKeyRing,
    options: AuditLogOptions = {},
  ) {
    this.checkpointEvery = options.checkpointEvery ?? 1000;
    this.maxBatch = options.maxBatch ?? 500;
    this.file = options.checkpointFile ?? null;
    this.timer = setInterval(() => {
      this.checkpointHead().catch(() => {}); // retried at the next tick; verification reports what is unsigned
    }, options.checkpointIntervalMs ?? 60_000);
    this.timer.unref();
  }

  /**
   * Resolves with the entry's place in the chain once it is durably committed; rejects if it could not be.
   * For a second after a write failed because the database did not answer, rejects at once: callers
   * get their `AUDIT_UNAVAILABLE` without queueing behind writes that would time out too.
   */
  record(draft: AuditDraft): Promise<number> {
    if (this.unavailable && Date.now() < this.unavailable.until) return Promise.reject(this.unavailable.err);
    return new Promise((resolve, reject) => {
      this.queue.push({ draft, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** Waits until every recorded entry is written and durable. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Stops the checkpoint timer, waits for recorded entries, and closes the append connection. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    this.dropAppender();
  }

  /**
   * Signs the head unless the last checkpoint already covers it; under the head's row lock, so two
   * instances do not sign the same head twice.
   */
  async checkpointHead(): Promise<void> {
    const client = await this.db.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query('begin');
      const head = await lockHead(client);
      const signed = Number((await client.query<{ seq: string | null }>('select max(seq) as seq from audit_checkpoint')).rows[0].seq ?? 0);
      let written: FileCheckpoint | null = null;
      if (head.seq > signed) {
        written = await this.sign(head);
        await client.query('insert into audit_checkpoint (seq, hash, kid, jws) values ($1, $2, $3, $4)', [written.seq, written.hash, written.kid, written.jws]);
      }
      await client.query('commit');
      if (written) await this.file?.append([written]);
    } catch (err) {
      failure = err as Error;
      await client.query('rollback').catch(() => {});
      throw err;
    } finally {
      client.release(failure);
    }
  }

  private async drain(): Promise<void> {
    // Let the requests finishing in this turn of the event loop join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      const started = performance.now();
      try {
        const seqs = await this.write(batch.map((p) => p.draft));
        this.onBatch?.(batch.length, (performance.now() - started) / 1000, true);
        batch.forEach((p, i) => p.resolve(seqs[i]));
      } catch (err) {
        this.onBatch?.(batch.length, (performance.now() - started) / 1000, false);
        for (const p of batch) p.reject(err);
        if (isDatabaseUnavailable(err)) {
          // Those queued meanwhile would wait as long only to fail the same way.
          this.unavailable = { err, until: Date.now() + 1000 };
          for (const p of this.queue.splice(0)) p.reject(err);
        }
      }
    }
    this.draining = null;
  }

  /**
   * Optimistically from the head this instance last wrote (one round trip); when another instance
   * moved it meanwhile, or it is not known yet, under the head's row lock (which always succeeds).
   */
  private async write(drafts: AuditDraft[]): Promise<number[]> {
    const client = await this.connectAppender();
    if (this.head) {
      try {
        const { seqs, checkpoints } = await this.append(client, this.head, drafts);
        await this.file?.append(checkpoints);
        return seqs;
      } catch (err) {
        this.head = null;
        if ((err as { code?: string }).code !== '40001') {
          this.dropAppender();
          throw err;
        }
      }
    }
    try {
      await client.query('begin');
      const { seqs, checkpoints } = await this.append(client, await lockHead(client), drafts);
      await client.query('commit');
      await this.file?.append(checkpoints);
      return seqs;
    } catch (err) {
      this.head = null;
      this.dropAppender();
      throw err;
    }
  }

  /**
   * Appends the drafts after `head` through `audit_append`, which refuses a head that moved (40001),
   * with a signed checkpoint at each multiple of `checkpointEvery` the batch reaches.
   */
  private async append(client: pg.Client, head: Head, drafts: AuditDraft[]): Promise<{ seqs: number[]; checkpoints: FileCheckpoint[] }> {
    const entries = chain(head, drafts);
    const last = entries.at(-1)!;
    const checkpoints: FileCheckpoint[] = [];
    for (const entry of entries) if (entry.seq % this.checkpointEvery === 0) checkpoints.push(await this.sign(entry));
    await client.query('select audit_append($1, $2, $3, $4, $5, $6)', [
      head.seq,
      head.hash,
      JSON.stringify(entries.map(row)),
      last.seq,
      last.hash,
      JSON.stringify(checkpoints),
    ]);
    this.head = { seq: last.seq, hash: last.hash };
    this.entriesWritten += entries.length;
    this.batchesWritten += 1;
    return { seqs: entries.map((e) => e.seq), checkpoints };
  }

  /** With the current key, re-read after a `huitong key rotate-hub`; every checkpoint names its `kid`. */
  private async sign({ seq, hash }: Head): Promise<FileCheckpoint> {
    const key = (await this.keys.refresh()).current;
    return { seq, hash, kid: key.kid, jws: await signCheckpoint(key, { seq, hash, at: new Date().toISOString() }) };
  }

  /** The append connection: its own, committing synchronously whatever the server's default (see the class comment). */
  private connectAppender(): Promise<pg.Client> {
    this.appender ??= (async () => {
      // The pool's timeouts too: a database that stops answering must not hold the trail for ever.
      const client = new pg.Client({ ...this.db.clientOptions, connectionString: this.db.url });
      client.on('error', () => this.dropAppender());
      await client.connect();
      await client.query('set synchronous_commit = on');
      return client;
    })();
    const connecting = this.appender;
    connecting.catch(() => {
      if (this.appender === connecting) this.appender = null;
    });
    return connecting;
  }

  private dropAppender(): void {
    const dropped = this.appender;
    this.appender = null;
    void dropped?.then((client) => client.end()).catch(() => {});
  }
}

/** Locks the head's row until the transaction ends (`audit_lock_head`: the runtime role may not lock it itself). */
async function lockHead(client: pg.PoolClient | pg.Client): Promise<Head> {
  const { rows } = await client.query<{ seq: string; hash: string }>('select seq, hash from audit_lock_head()');
  return { seq: Number(rows[0].seq), hash: rows[0].hash };
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
    change: e.change ?? null,
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}
