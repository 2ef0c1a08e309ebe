import type pg from 'pg';
import type { Logger } from '../log.js';
import { loadDefinitions, type ConnectorDefinition } from './definition.js';
import { replayStep, runConnector, type RunCounts, type RunResult } from './runner.js';

export interface SyncRunRow {
  id: string;
  connector: string;
  full: boolean;
  state: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  fetched: number;
  applied: number;
  unchanged: number;
  quarantined: number;
  created: number;
  changed: number;
  /** Records a reconciliation found gone from the source (their current versions closed). */
  deleted: number;
  error: string | null;
  startedBy: string;
}

const ISO = (c: string) => `to_char(${c} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const RUN_COLUMNS = `id::text, connector, full_sync as "full", state, ${ISO('started_at')} as "startedAt", ${ISO('finished_at')} as "finishedAt",
  fetched::int, applied::int, unchanged::int, quarantined::int, created::int, changed::int, deleted::int, error, started_by as "startedBy"`;

export interface QuarantinedRow {
  id: string;
  connector: string;
  /** The sync run that fetched it; null for a `lookup` answer (asked at query time, no run). */
  runId: string | null;
  resourceCode: string;
  resourceVersion: string;
  sourceKey: string | null;
  subject: string | null;
  step: string;
  errors: string[];
  payload: unknown;
  fetchedAt: string;
  state: 'open' | 'replayed' | 'discarded';
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolution: string | null;
}

const QUARANTINE_COLUMNS = `id::text, connector, run_id::text as "runId", resource_code as "resourceCode", resource_version as "resourceVersion",
  source_key as "sourceKey", subject, step, errors, payload, ${ISO('fetched_at')} as "fetchedAt", state, ${ISO('resolved_at')} as "resolvedAt",
  resolved_by as "resolvedBy", resolution`;

/** A connector's runs, newest first, keyset-paged by id. */
export async function listRuns(pool: pg.Pool, connector: string, limit: number, beforeId: number | null): Promise<SyncRunRow[]> {
  const { rows } = await pool.query<SyncRunRow>(
    `select ${RUN_COLUMNS} from sync_run where connector = $1 and ($2::bigint is null or id < $2) order by id desc limit $3`,
    [connector, beforeId, limit],
  );
  return rows;
}

export async function runById(db: pg.Pool | pg.ClientBase, id: string): Promise<SyncRunRow | null> {
  const { rows } = await db.query<SyncRunRow>(`select ${RUN_COLUMNS} from sync_run where id = $1`, [id]);
  return rows[0] ?? null;
}

export const countRuns = async (pool: pg.Pool, connector: string) =>
  Number((await pool.query<{ n: string }>('select count(*) n from sync_run where connector = $1', [connector])).rows[0].n);

/** Quarantined records, oldest first, keyset-paged by id; `connector` and `state` narrow them. */
export async function listQuarantine(pool: pg.Pool, filter: { connector?: string | null; state?: string | null }, limit: number, afterId: number | null): Promise<QuarantinedRow[]> {
  const { rows } = await pool.query<QuarantinedRow>(
    `select ${QUARANTINE_COLUMNS} from quarantine_record
     where ($1::text is null or connector = $1) and ($2::text is null or state = $2) and ($3::bigint is null or id > $3)
     order by id limit $4`,
    [filter.connector ?? null, filter.state ?? null, afterId, limit],
  );
  return rows;
}

export async function quarantinedById(db: pg.Pool | pg.ClientBase, id: string, lock = false): Promise<QuarantinedRow | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const { rows } = await db.query<QuarantinedRow>(`select ${QUARANTINE_COLUMNS} from quarantine_record where id = $1${lock ? ' for update' : ''}`, [id]);
  return rows[0] ?? null;
}

/** A `lookup` answer that failed a step, as `quarantineLookupAnswer` keeps it. */
export interface LookupQuarantine {
  /** Connector id (its folder under `connectors/`). */
  connector: string;
  resourceCode: string;
  resourceVersion: string;
  subject: string;
  step: 'parse' | 'validation';
  errors: string[];
  /** The answer as the source gave it. */
  payload: unknown;
  fetchedAt: string;
}

/**
 * Keeps a `lookup` answer that failed its resource's record schema (or could not be read) in
 * quarantine, with the connector named, so that platform admins see it in `quarantinedRecords`.
 * It has no sync run, and is never replayed into the hub (the data stays at the source); it can be
 * discarded once the source is fixed. Returns the quarantined record's id.
 */
export async function quarantineLookupAnswer(db: pg.Pool | pg.ClientBase, entry: LookupQuarantine): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into quarantine_record (connector, run_id, resource_code, resource_version, source_key, subject, step, errors, payload, fetched_at)
     values ($1, null, $2, $3, null, $4, $5, $6, $7, $8) returning id::text`,
    [entry.connector, entry.resourceCode, entry.resourceVersion, entry.subject, entry.step, JSON.stringify(entry.errors), JSON.stringify(entry.payload ?? null), entry.fetchedAt],
  );
  return rows[0].id;
}

export type ReplayOutcome =
  | { ok: true; outcome: 'created' | 'changed' | 'unchanged'; record: QuarantinedRow }
  | { ok: false; step: string; errors: string[]; record: QuarantinedRow };

export class QuarantineError extends Error {
  constructor(
    readonly reason: 'not-found' | 'not-open' | 'unknown-connector' | 'bad-payload' | 'not-replayable',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The connector runtime as a hub holds it: the checked definitions, runs on demand (one per
 * connector across processes), quarantine handling. Credentials and simulator URLs come from `env`.
 */
/** A simulated department system this hub started, whose switches the API may change. */
export interface SimulatorHandle {
  url: string;
  switches: object;
  setSwitches(changes: Record<string, unknown>): object | Promise<object>;
}

export class Exchange {
  readonly definitions: ReadonlyMap<string, ConnectorDefinition>;
  /** Simulated department systems started with this hub (demo, tests), by system. */
  readonly simulators = new Map<string, SimulatorHandle>();
  private readonly active = new Map<string, Promise<RunResult>>();
  private readonly stopping = new AbortController();

  constructor(
    readonly pool: pg.Pool,
    readonly logger: Logger,
    definitions: ConnectorDefinition[],
    /** Where `${NAME}` placeholders come from; simulators add their URLs and tokens. */
    readonly env: Record<string, string | undefined> = process.env,
  ) {
    this.definitions = new Map(definitions.map((d) => [d.id, d]));
  }

  /** Reads and checks `connectors/`; a bad definition throws with every problem listed. */
  static load(pool: pg.Pool, logger: Logger, env: Record<string, string | undefined> = process.env, dir?: string, override?: Partial<Pick<ConnectorDefinition, 'batchSize'>>): Exchange {
    return new Exchange(pool, logger, loadDefinitions(dir).map((d) => ({ ...d, ...override })), env);
  }

  definition(id: string): ConnectorDefinition {
    const d = this.definitions.get(id);
    if (!d) throw new QuarantineError('unknown-connector', `no connector "${id}" (one of ${[...this.definitions.keys()].join(', ')})`);
    return d;
  }

  /** Whether the hub is shutting down (`stop`): no run starts after it. */
  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /** Runs a connector to its end. */
  run(id: string, options: { full?: boolean; startedBy: string; progress?: (c: RunCounts) => void; signal?: AbortSignal }): Promise<RunResult> {
    const definition = this.definition(id);
    // A run started now would outlive the pool it writes through (closed once the runs are idle).
    if (this.stopped) return Promise.resolve({ state: 'busy', runId: null, reason: 'the hub is shutting down: the next start runs it' });
    const signal = options.signal ? AbortSignal.any([options.signal, this.stopping.signal]) : this.stopping.signal;
    const running = runConnector(this.pool, this.logger, definition, { ...options, signal, env: this.env }).finally(() => this.active.delete(id));
    this.active.set(id, running);
    return running;
  }

  /**
   * Starts a run and answers once it is recorded (or refused as busy), leaving it to go on in the
   * background: what a mutation returns. The run's own row says how it ends.
   */
  async start(id: string, options: { full?: boolean; startedBy: string }): Promise<{ busy: string } | { runId: string }> {
    this.definition(id);
    if (this.active.has(id)) return { busy: `${id} is already running in this hub` };
    const { rows: before } = await this.pool.query<{ id: string | null }>('select max(id)::text as id from sync_run where connector = $1', [id]);
    const running = this.run(id, options);
    // The run row appears as soon as the lock is held; a busy answer comes as fast.
    for (let waited = 0; waited < 10_000; waited += 20) {
      const early = await Promise.race([running, new Promise<null>((r) => setTimeout(() => r(null), 20))]);
      if (early && early.state === 'busy') return { busy: early.reason };
      if (early) return { runId: early.runId };
      const { rows } = await this.pool.query<{ id: string | null }>('select max(id)::text as id from sync_run where connector = $1', [id]);
      if (rows[0].id && rows[0].id !== before[0].id) return { runId: rows[0].id };
    }
    const done = await running;
    return done.state === 'busy' ? { busy: done.reason } : { runId: done.runId };
  }

  /** Waits for the runs this hub started. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.active.values()]);
  }

  /** Shutdown: running syncs stop after the batch they are committing (what committed stands; the next run resumes there). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  /**
   * Replays a quarantined record through the same steps, as delivered or as fixed (`payload`),
   * in the caller's transaction. Applied: the record leaves quarantine (`replayed`). Failing
   * again: it stays open, with the new errors.
   */
  async replay(client: pg.PoolClient, id: string, payload: unknown | undefined, by: string): Promise<ReplayOutcome> {
    const q = await quarantinedById(client, id, true);
    if (!q) throw new QuarantineError('not-found', `no quarantined record ${id}`);
    if (q.state !== 'open') throw new QuarantineError('not-open', `quarantined record ${id} is already ${q.state}`);
    const raw = payload === undefined ? q.payload : payload;
    if (q.runId === null) throw new QuarantineError('not-replayable', `quarantined record ${id} is a lookup answer: its data stays at the source and is never applied in the hub; discard it once the source is fixed`);
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new QuarantineError('bad-payload', 'the payload must be a JSON object');
    const step = await replayStep(this.pool, this.definition(q.connector), q.runId);
    const result = await step.replay(client, raw as Record<string, unknown>);
    if (result.ok) {
      await client.query(`update quarantine_record set state = 'replayed', resolved_at = now(), resolved_by = $2, resolution = $3, payload = $4 where id = $1`, [id, by, `replayed: ${result.outcome}`, JSON.stringify(raw)]);
      return { ok: true, outcome: result.outcome, record: (await quarantinedById(client, id))! };
    }
    await client.query('update quarantine_record set errors = $2, step = $3, payload = $4 where id = $1', [id, JSON.stringify(result.errors), result.step, JSON.stringify(raw)]);
    return { ok: false, step: result.step, errors: result.errors, record: (await quarantinedById(client, id))! };
  }

  /** Discards a quarantined record, with the reason: it stays in the table, marked, never applied. */
  async discard(client: pg.PoolClient, id: string, reason: string, by: string): Promise<QuarantinedRow> {
    const q = await quarantinedById(client, id, true);
    if (!q) throw new QuarantineError('not-found', `no quarantined record ${id}`);
    if (q.state !== 'open') throw new QuarantineError('not-open', `quarantined record ${id} is already ${q.state}`);
    await client.query(`update quarantine_record set state = 'discarded', resolved_at = now(), resolved_by = $2, resolution = $3 where id = $1`, [id, by, reason]);
    return (await quarantinedById(client, id))!;
  }
}
