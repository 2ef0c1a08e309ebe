import type pg from 'pg';
import { recordValidator } from '../catalog/index.js';
import { inTransaction } from '../db/index.js';
import type { Logger } from '../log.js';
import { sourceSystem, type ConnectorDefinition } from './definition.js';
import { mapRecord, sourceKeyOf, type RawRecord } from './mapping.js';
import { databaseSource } from './sources/database.js';
import { fileSource } from './sources/file.js';
import { restSource } from './sources/rest.js';
import { comparePositions, type BatchOutcome, type Page, type Position, type Source, type SourceContext } from './sources/types.js';
import { targetFor, type ApplyRecord, type Target } from './targets.js';

export type QuarantineStep = 'parse' | 'mapping' | 'validation' | 'apply';

export interface RunOptions {
  /** Reconciliation: read the whole source whatever the watermark, and report what differed. (Default: false) */
  full?: boolean;
  /** Who started the run: `schedule`, `cli`, or the department system of a mutation. */
  startedBy: string;
  /** Where `${NAME}` placeholders and credentials come from. (Default: process.env) */
  env?: Record<string, string | undefined>;
  /** Called after each committed batch with the run's counts so far. */
  progress?: (counts: RunCounts) => void;
  signal?: AbortSignal;
}

export interface RunCounts extends BatchOutcome {
  created: number;
  changed: number;
  /** Records a reconciliation found gone from the source: their current versions closed (never deleted). */
  deleted: number;
}

export type RunResult =
  | { state: 'succeeded' | 'failed'; runId: string; counts: RunCounts; error: string | null; full: boolean }
  | { state: 'busy'; runId: null; reason: string };

const DEFAULT_BATCH = 1000;

/** The advisory-lock key of a connector: one run per connector across every hub process on the database. */
const LOCK_SQL = `hashtextextended('huitong-connector:' || $1, 0)`;

function openSource(ctx: SourceContext): Source {
  switch (ctx.definition.kind) {
    case 'rest':
      return restSource(ctx);
    case 'database':
      return databaseSource(ctx);
    case 'file':
      return fileSource(ctx);
    case 'lookup':
      throw new Error(`${ctx.definition.id} is a lookup connector: its data stays at the source, nothing is synced`);
  }
}

interface Quarantined {
  step: QuarantineStep;
  sourceKey: string | null;
  /** The record's subject when the mapping could tell it, so the data tracker can name it. */
  subject?: string | null;
  errors: string[];
  payload: unknown;
}

/**
 * Runs one connector once: holds its advisory lock (or answers `busy`), records the run, reads
 * the source page by page from the committed watermark, and commits each page in one
 * transaction: the records applied, the ones that failed a step put in quarantine, the run's
 * counts and the watermark. A run killed at any moment leaves the watermark at the last page
 * committed with its records, so the next run resumes there: nothing lost, nothing twice.
 */
export async function runConnector(pool: pg.Pool, logger: Logger, definition: ConnectorDefinition, options: RunOptions): Promise<RunResult> {
  const lock = await pool.connect();
  let broken: Error | undefined;
  try {
    const { rows } = await lock.query<{ got: boolean }>(`select pg_try_advisory_lock(${LOCK_SQL}) as got`, [definition.id]);
    if (!rows[0].got) return { state: 'busy', runId: null, reason: `${definition.id} is running in another hub process` };
    try {
      return await runLocked(pool, logger, definition, options);
    } finally {
      await lock.query(`select pg_advisory_unlock(${LOCK_SQL})`, [definition.id]).catch((err: Error) => (broken = err));
    }
  } finally {
    lock.release(broken);
  }
}

async function runLocked(pool: pg.Pool, logger: Logger, definition: ConnectorDefinition, options: RunOptions): Promise<RunResult> {
  const full = options.full ?? false;
  const log = logger.child({ connector: definition.id });
  // Holding the lock, any run still marked running was cut short (its process died).
  await pool.query(
    `update sync_run set state = 'failed', finished_at = now(), error = 'interrupted: the process running it ended; resumed from the last committed watermark' where connector = $1 and state = 'running'`,
    [definition.id],
  );
  const { rows: started } = await pool.query<{ id: string }>('insert into sync_run (connector, full_sync, started_by) values ($1, $2, $3) returning id::text', [definition.id, full, options.startedBy]);
  const runId = started[0].id;
  // Keys read by reconciliations of this connector that ended (the lock is held: none runs).
  await pool.query(`delete from sync_seen_key where run_id in (select id from sync_run where connector = $1 and id <> $2)`, [definition.id, runId]);
  const counts: RunCounts = { fetched: 0, applied: 0, unchanged: 0, quarantined: 0, created: 0, changed: 0, deleted: 0 };
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  let source: Source | null = null;
  // The batch committing while the next page is read and mapped (see the loop below).
  let writing: Promise<void> | null = null;
  try {
    const validator = await recordValidator(pool, definition.resource);
    if (!validator) throw new Error(`${definition.resource} is not a current catalogue resource`);
    const { rows: cls } = await pool.query<{ class: string }>(`select declaration -> 'classification' ->> 'class' as class from catalog_resource where code = $1`, [definition.resource]);
    const target = targetFor(definition.resource, cls[0]?.class ?? null);
    const { rows: wm } = await pool.query<{ position: Position }>('select position from sync_watermark where connector = $1', [definition.id]);
    const committed = wm[0]?.position ?? null;
    const batchSize = definition.batchSize ?? DEFAULT_BATCH;
    source = openSource({ definition, env: options.env ?? process.env, logger: log, pool, runId, batchSize, signal });
    const step = new BatchStep(pool, definition, target, { code: validator.code, version: String(validator.version), validate: validator.validate }, runId);
    // A reconciliation of a source that holds its whole dataset (an API, a front-end table; not a
    // folder of drops) notes every key it reads, so that what the hub holds and the source no
    // longer has can be told at the end.
    const noticeDeletions = full && (definition.kind === 'rest' || definition.kind === 'database');
    step.noteSeenKeys = noticeDeletions;
    step.log = log;
    let highest = committed;
    log.info({ runId, full, from: full ? null : committed }, 'sync run started');
    // A pipeline of three: the next page is fetched and the page after the one committing is
    // checked and mapped (CPU in this process) while the database applies the one before (CPU in
    // PostgreSQL's). Batches still commit one at a time and in order, so the watermark only moves
    // past what committed.
    const pages = source.pages(full ? null : committed)[Symbol.asyncIterator]();
    let ahead = pages.next();
    ahead.catch(() => {});
    for (;;) {
      if (signal.aborted) throw new Error('stopped: the hub is shutting down; the next run resumes from the last committed batch');
      const next = await ahead;
      if (next.done) break;
      const page = next.value;
      ahead = pages.next();
      ahead.catch(() => {});
      // A reconciliation never moves the watermark back: it only rereads.
      let position = page.position;
      if (position && highest && 'ts' in position && 'ts' in highest && comparePositions(position, highest) <= 0) position = null;
      if (position) highest = position;
      const prepared = step.preparePage(page);
      if (writing) await writing;
      if (signal.aborted) throw new Error('stopped: the hub is shutting down; the next run resumes from the last committed batch');
      writing = step.write(prepared, position).then(async (outcome) => {
        for (const k of Object.keys(outcome) as (keyof RunCounts)[]) counts[k] += outcome[k];
        await page.committed?.(outcome);
        options.progress?.({ ...counts });
      });
      // Awaited before the next batch or at the end; until then its failure must not count as unhandled.
      writing.catch(() => {});
    }
    if (writing) await writing;
    if (noticeDeletions) counts.deleted = await step.closeDeleted(log);
    await pool.query(`update sync_run set state = 'succeeded', finished_at = now() where id = $1`, [runId]);
    log.info({ runId, ...counts }, 'sync run succeeded');
    return { state: 'succeeded', runId, counts, error: null, full };
  } catch (err) {
    // A batch still committing finishes first (its counts in the run, the lock still held), so a
    // stopped or failed run ends with what committed, and no other process starts meanwhile.
    await (writing as Promise<void> | null)?.catch(() => {});
    const error = (err as Error).message;
    await pool.query(`update sync_run set state = 'failed', finished_at = now(), error = $2 where id = $1`, [runId, error]);
    log.error({ runId, err, ...counts }, 'sync run failed; what committed stands');
    return { state: 'failed', runId, counts, error, full };
  } finally {
    controller.abort();
    await source?.close();
    await pool.query('delete from sync_seen_key where run_id = $1', [runId]).catch((err: Error) => log.warn({ err, runId }, 'could not clear the keys a reconciliation read; the next run clears them'));
  }
}

interface PreparedPage {
  page: Page;
  fetchedAt: Date;
  quarantine: Quarantined[];
  /** The records to apply, one per key (the last delivery of a key in the page). */
  batch: ApplyRecord[];
  rawByKey: Map<string, RawRecord>;
  duplicatesChanged: number;
}

interface ResourceCheck {
  code: string;
  version: string;
  validate: (data: unknown) => boolean;
}

/** One page's way: key → mapping → record schema → apply; whatever fails a step goes to quarantine. */
class BatchStep {
  private readonly system: string;
  /** Rows the target table had when its statistics were last refreshed, as far as this run knows (null: not asked yet). */
  private analysedRows: number | null = null;
  /** Versions this run wrote since then. */
  private writtenSinceAnalyse = 0;
  /** Whether this role may refresh the target's statistics (null: not asked yet). */
  private mayAnalyse: boolean | null = null;
  /** Where the step says what it cannot do. */
  log: Logger | null = null;
  /** Whether each batch notes the source keys it read (a reconciliation noticing deletions). */
  noteSeenKeys = false;
  /** Records quarantined without a source key while noting keys: then absence proves nothing. */
  private keyless = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly definition: ConnectorDefinition,
    private readonly target: Target,
    private readonly resource: ResourceCheck,
    private readonly runId: string,
  ) {
    this.system = sourceSystem(definition);
  }

  /** The subject of a raw record, read through the subject's mapping alone (the rest may be what is wrong). */
  subjectOf(raw: RawRecord): string | null {
    const rule = this.definition.subject ? this.definition.mapping?.[this.definition.subject] : undefined;
    if (!rule) return null;
    const one = mapRecord(raw, { s: rule });
    const v = one.ok ? one.record.s : null;
    return typeof v === 'string' ? v : null;
  }

  /** Checks and maps a raw record: ready to apply, or quarantined with every error of its step. */
  prepare(raw: RawRecord): ApplyRecord | Quarantined {
    const d = this.definition;
    const key = sourceKeyOf(raw, d.key);
    if ('error' in key) return { step: 'mapping', sourceKey: null, errors: [key.error], payload: raw };
    const mapped = mapRecord(raw, d.mapping ?? {});
    if (!mapped.ok) return { step: 'mapping', sourceKey: key.key, subject: this.subjectOf(raw), errors: mapped.errors, payload: raw };
    const validate = this.resource.validate as ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
    if (!validate(mapped.record)) {
      const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
      return { step: 'validation', sourceKey: key.key, subject: this.subjectOf(raw), errors, payload: raw };
    }
    const subject = d.subject ? mapped.record[d.subject] : null;
    return { key: key.key, sourceKey: key.key, record: mapped.record, subject: typeof subject === 'string' ? subject : null };
  }

  /** Checks and maps a page's records (no I/O): what `write` then applies in one transaction. */
  preparePage(page: Page): PreparedPage {
    const fetchedAt = new Date();
    const quarantine: Quarantined[] = (page.unparsed ?? []).map((u) => ({ step: 'parse' as const, sourceKey: null, errors: [u.error], payload: u.payload }));
    // The last delivery of a key in a page wins; earlier identical ones are counted unchanged,
    // earlier different ones as changes superseded within the page.
    const byKey = new Map<string, ApplyRecord>();
    const rawByKey = new Map<string, RawRecord>();
    let duplicatesChanged = 0;
    for (const raw of page.records) {
      const ready = this.prepare(raw);
      if ('step' in ready) {
        quarantine.push(ready);
        continue;
      }
      const before = byKey.get(ready.key);
      if (before) {
        if (JSON.stringify(before.record) !== JSON.stringify(ready.record)) duplicatesChanged++;
        byKey.delete(ready.key);
      }
      byKey.set(ready.key, ready);
      rawByKey.set(ready.key, raw);
    }
    return { page, fetchedAt, quarantine, batch: [...byKey.values()], rawByKey, duplicatesChanged };
  }

  /** Applies a prepared page, its quarantine, the run's counts and the watermark in one transaction. */
  async write(prepared: PreparedPage, position: Position | null): Promise<RunCounts> {
    const { page, fetchedAt, quarantine, batch, rawByKey, duplicatesChanged } = prepared;
    await this.keepStatistics();
    const ctx = { resourceCode: this.resource.code, resourceVersion: this.resource.version, sourceSystem: this.system, fetchedAt };
    return inTransaction(this.pool, async (client) => {
      // Every statement of a batch reaches rows by key or id. A table growing during a run has
      // statistics of when it was small, and the planner would then scan it whole for the batch's
      // keys, a cost that grows with the table: index probes it is.
      await client.query('set local enable_seqscan = off');
      let created = 0;
      let changed = 0;
      if (batch.length) {
        await client.query('savepoint batch');
        try {
          ({ created, changed } = await this.target.apply(client, batch, ctx));
        } catch {
          // One bad record (a division the hub does not know…) fails the whole statement: apply
          // one by one, each in its own savepoint, and quarantine those the database refuses.
          await client.query('rollback to savepoint batch');
          for (const record of batch) {
            await client.query('savepoint one');
            try {
              const one = await this.target.apply(client, [record], ctx);
              created += one.created;
              changed += one.changed;
            } catch (err) {
              await client.query('rollback to savepoint one');
              quarantine.push({ step: 'apply', sourceKey: record.sourceKey, subject: record.subject, errors: [(err as Error).message], payload: rawByKey.get(record.key) ?? record.record });
            }
          }
        }
      }
      this.writtenSinceAnalyse += created + changed;
      changed += duplicatesChanged;
      const fetched = page.records.length + (page.unparsed?.length ?? 0);
      const counts: RunCounts = { fetched, applied: created + changed, created, changed, quarantined: quarantine.length, unchanged: 0, deleted: 0 };
      counts.unchanged = fetched - counts.applied - counts.quarantined;
      if (quarantine.length) {
        await client.query(
          `insert into quarantine_record (connector, run_id, resource_code, resource_version, source_key, subject, step, errors, payload, fetched_at)
           select $1, $2, $3, $4, q.sk, q.s, q.step, q.errors, q.payload, $5 from jsonb_to_recordset($6::jsonb) as q(sk text, s text, step text, errors jsonb, payload jsonb)`,
          [this.definition.id, this.runId, this.resource.code, this.resource.version, fetchedAt, JSON.stringify(quarantine.map((q) => ({ sk: q.sourceKey, s: q.subject ?? null, step: q.step, errors: q.errors, payload: q.payload ?? null })))],
        );
      }
      if (this.noteSeenKeys) {
        // Quarantined records are still at the source: their keys count as read.
        const keys = batch.map((r) => r.sourceKey);
        for (const q of quarantine) {
          if (q.sourceKey) keys.push(q.sourceKey);
          else this.keyless++;
        }
        await client.query('insert into sync_seen_key (run_id, source_key) select $1, unnest($2::text[])', [this.runId, keys]);
      }
      await client.query(
        `update sync_run set fetched = fetched + $2, applied = applied + $3, unchanged = unchanged + $4, quarantined = quarantined + $5, created = created + $6, changed = changed + $7 where id = $1`,
        [this.runId, counts.fetched, counts.applied, counts.unchanged, counts.quarantined, counts.created, counts.changed],
      );
      if (position) {
        await client.query(
          `insert into sync_watermark (connector, position, run_id) values ($1, $2, $3)
           on conflict (connector) do update set position = excluded.position, run_id = excluded.run_id, updated_at = now()`,
          [this.definition.id, JSON.stringify(position), this.runId],
        );
      }
      await page.inTransaction?.(client);
      return counts;
    });
  }

  /**
   * Refreshes the target table's statistics when this run has grown it past what they describe
   * (doubling: a handful of times per run). The planner picks the index for each key's probe from
   * them: with the statistics of an empty table it took, for `department_record`, the subject
   * index with a filter on the key, reading every current row of the resource per record
   * (measured: 40 s for one 5,000-record batch on a 20,000-row table). Autovacuum's own analyse
   * comes too late within one long run.
   */
  private async keepStatistics(): Promise<void> {
    if (this.mayAnalyse === null) {
      // Without the right (owner, or MAINTAIN) ANALYZE only warns: say so once, plainly.
      const { rows } = await this.pool
        .query<{ ok: boolean }>(`select pg_has_role(current_user, relowner, 'USAGE') or has_table_privilege(oid, 'MAINTAIN') as ok from pg_class where oid = $1::regclass`, [this.target.table])
        .catch(() => this.pool.query<{ ok: boolean }>(`select pg_has_role(current_user, relowner, 'USAGE') as ok from pg_class where oid = $1::regclass`, [this.target.table]));
      this.mayAnalyse = rows[0]?.ok ?? false;
      if (!this.mayAnalyse) this.log?.warn({ table: this.target.table }, 'this role may not ANALYZE the target table (grant MAINTAIN): a long run may slow down as the table grows');
    }
    if (!this.mayAnalyse) return;
    if (this.analysedRows === null) {
      const { rows } = await this.pool.query<{ n: number }>(`select greatest(reltuples, 0)::float8 as n from pg_class where oid = $1::regclass`, [this.target.table]);
      this.analysedRows = rows[0]?.n ?? 0;
    }
    if (this.writtenSinceAnalyse <= Math.max(2000, this.analysedRows)) return;
    await this.pool.query(`analyze ${this.target.table}`);
    this.analysedRows += this.writtenSinceAnalyse;
    this.writtenSinceAnalyse = 0;
  }

  /**
   * At the end of a reconciliation that read the whole source: closes the current versions this
   * connector wrote whose source keys it did not read (valid_to set, never a row deleted), each
   * entered in `sync_deletion` with the run that closed it, in one transaction. When a record came
   * without a key (quarantined at `parse`), absence proves nothing: nothing is closed, and the log
   * says why.
   */
  async closeDeleted(log: Logger): Promise<number> {
    if (this.keyless) {
      log.warn({ runId: this.runId, keyless: this.keyless }, 'records without a source key were read: deletions at the source are not judged in this run');
      return 0;
    }
    const t = this.target;
    const deleted = await inTransaction(this.pool, async (client) => {
      // The keys' table was just filled: without statistics the planner would probe it once per held record.
      await client.query('analyze sync_seen_key');
      await client.query('set local enable_nestloop = off');
      const { rowCount } = await client.query(
        `with gone as (
           select t.version_id, t.source_key, t.${t.subjectColumn}::text as subject from ${t.table} t
           where t.valid_to is null and t.resource_code = $2 and t.source_system = $3
             and not exists (select 1 from sync_seen_key s where s.run_id = $1 and s.source_key = t.source_key)),
         closed as (
           update ${t.table} t set valid_to = now() from gone where t.version_id = gone.version_id
           returning gone.version_id, gone.source_key, gone.subject)
         insert into sync_deletion (run_id, connector, resource_code, target_table, version_id, source_key, subject)
         select $1, $4, $2, $5, version_id, source_key, subject from closed`,
        [this.runId, this.resource.code, this.system, this.definition.id, t.table],
      );
      await client.query('update sync_run set deleted = $2 where id = $1', [this.runId, rowCount ?? 0]);
      return rowCount ?? 0;
    });
    if (deleted) log.info({ runId: this.runId, deleted }, 'records gone from the source: their current versions closed');
    return deleted;
  }

  /** Replays one quarantined record (fixed or not) through the same steps, in the caller's transaction. */
  async replay(client: pg.ClientBase, raw: RawRecord): Promise<{ ok: true; outcome: 'created' | 'changed' | 'unchanged' } | { ok: false; step: QuarantineStep; errors: string[] }> {
    const ready = this.prepare(raw);
    if ('step' in ready) return { ok: false, step: ready.step, errors: ready.errors };
    await client.query('savepoint replay');
    try {
      const done = await this.target.apply(client, [ready], { resourceCode: this.resource.code, resourceVersion: this.resource.version, sourceSystem: this.system, fetchedAt: new Date() });
      return { ok: true, outcome: done.created ? 'created' : done.changed ? 'changed' : 'unchanged' };
    } catch (err) {
      await client.query('rollback to savepoint replay');
      return { ok: false, step: 'apply', errors: [(err as Error).message] };
    }
  }
}

/** The same steps as a run, for replaying quarantined records of `definition`. */
export async function replayStep(pool: pg.Pool, definition: ConnectorDefinition, runId: string): Promise<BatchStep> {
  const validator = await recordValidator(pool, definition.resource);
  if (!validator) throw new Error(`${definition.resource} is not a current catalogue resource`);
  const { rows: cls } = await pool.query<{ class: string }>(`select declaration -> 'classification' ->> 'class' as class from catalog_resource where code = $1`, [definition.resource]);
  return new BatchStep(pool, definition, targetFor(definition.resource, cls[0]?.class ?? null), { code: validator.code, version: String(validator.version), validate: validator.validate }, runId);
}
