import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { Logger as WorkerLogger, Runner, Task } from 'graphile-worker';
import pg from 'pg';
import type { AuditDraft } from '../audit/index.js';
import { inTransaction, RUNTIME_GROUP } from '../db/index.js';
import type { Logger } from '../log.js';
import { parseAsOf } from '../server/as-of.js';
import { badUserInput, notFound } from '../server/errors.js';
import { storeVerifications, type Access, type StoredVerification, type VerificationCaller, type Verifier } from './verify.js';

/**
 * Batch re-checks (年度复核) on graphile-worker, a PostgreSQL job queue, so several hub processes
 * share the work. A batch is a table of households; its jobs are chunks of positions. Each chunk
 * locks its pending households (`for update skip locked`), verifies them, enters the audit entry,
 * then stores every verification and marks its household done in one transaction: a chunk killed
 * half-way is rolled back and done again, one done is never repeated. Jobs left locked by a killed
 * process are unlocked once its workers stop sending heartbeats.
 */

export const CHUNK_TASK = 'verification:chunk';
const WORKER_SCHEMA = 'graphile_worker';

const ident = (name: string) => pg.Client.prototype.escapeIdentifier(name);

/** Installs (or upgrades) graphile-worker's schema as the owner role and lets the runtime role use it. Idempotent. */
export async function prepareJobQueue(ownerUrl: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: ownerUrl, max: 1 });
  try {
    const { rows: [can] } = await pool.query<{ create: boolean; installed: boolean }>(
      `select has_database_privilege(current_database(), 'CREATE') as create, to_regclass('${WORKER_SCHEMA}.migrations') is not null as installed`,
    );
    // A role that may not create schemas cannot install the queue (and must not try: a failed
    // install leaves graphile-worker's client checked out); one already installed is left to its owner.
    if (!can.create) {
      if (can.installed) return;
      throw new Error('this role may not create the job queue schema; start once with DATABASE_OWNER_URL');
    }
    const { runMigrations } = await graphileWorker();
    await runMigrations({ pgPool: pool, logger: await quietLogger() });
    const { rows } = await pool.query<{ exists: boolean }>('select exists (select 1 from pg_roles where rolname = $1) as exists', [RUNTIME_GROUP]);
    if (!rows[0].exists) return;
    const group = ident(RUNTIME_GROUP);
    const schema = ident(WORKER_SCHEMA);
    await pool.query(`grant usage on schema ${schema} to ${group}`);
    await pool.query(`grant select, insert, update, delete on all tables in schema ${schema} to ${group}`);
    await pool.query(`grant usage, select, update on all sequences in schema ${schema} to ${group}`);
    await pool.query(`grant execute on all functions in schema ${schema} to ${group}`);
    // graphile-worker keeps row-level security on (no policies) so only its owner reads the queue;
    // the hub runs as the runtime group, which is let through, and nobody else.
    const { rows: secured } = await pool.query<{ name: string }>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind = 'r' and c.relrowsecurity`,
      [WORKER_SCHEMA],
    );
    for (const { name } of secured) {
      await pool.query(`drop policy if exists huitong_runtime on ${schema}.${ident(name)}`);
      await pool.query(`create policy huitong_runtime on ${schema}.${ident(name)} for all to ${group} using (true) with check (true)`);
    }
  } finally {
    await pool.end();
  }
}

/** Whether the job queue's schema is installed (a test database may have none). */
export async function jobQueueReady(pool: pg.Pool): Promise<boolean> {
  const { rows } = await pool.query<{ ok: boolean }>(`select to_regclass('${WORKER_SCHEMA}.jobs') is not null as ok`);
  return rows[0].ok;
}

/** graphile-worker, loaded when a queue is first used (it is heavy for every command's start). */
const graphileWorker = () => import('graphile-worker');

async function quietLogger(logger?: Logger): Promise<WorkerLogger> {
  const { Logger: GraphileLogger } = await graphileWorker();
  return new GraphileLogger(() => (level, message, meta) => {
    if (!logger) return;
    if (level === 'error') logger.error({ component: 'graphile-worker', meta }, message);
    else if (level === 'warning') logger.warn({ component: 'graphile-worker', meta }, message);
    else logger.debug({ component: 'graphile-worker', meta }, message);
  });
}

export interface BatchHousehold {
  applicant: string;
  declaredMembers: string[];
}

/**
 * Current recipient households: applicants of active 低保 cases in civil affairs' assistance
 * resource. The members declared are those of the household's latest stored verification, or, for
 * a household never verified here, the living members of the applicant's register household.
 */
export async function currentRecipients(pool: pg.Pool): Promise<BatchHousehold[]> {
  const { rows } = await pool.query<{ applicant: string; members: string[] }>(
    `with cases as (
       select distinct subject as applicant from department_record
       where resource_code = 'civil-affairs.assistance' and valid_to is null and subject is not null and payload->>'kind' = 'dibao'
         and (payload->>'endsOn' is null or (payload->>'endsOn')::date >= current_date)
     )
     select c.applicant, coalesce(
       (select array(select jsonb_array_elements_text(v.result->'declaredMembers')) from verification v
         where v.applicant_id_number = c.applicant order by v.decided_at desc limit 1),
       array(select m.id_number from person p join person m on m.household_number = p.household_number and m.valid_to is null and m.status = 'living'
         where p.id_number = c.applicant and p.valid_to is null and m.id_number <> c.applicant order by m.id_number)
     ) as members
     from cases c order by c.applicant`,
  );
  return rows.map((r) => ({ applicant: r.applicant, declaredMembers: r.members ?? [] }));
}

/**
 * Creates a batch and enqueues its chunks in one transaction (a batch is never half-created). Each
 * household's previous verdict is kept for the summary.
 */
export async function createBatch(
  pool: pg.Pool,
  input: { name: string; households: BatchHousehold[]; asOf?: string | null; caller: VerificationCaller; chunk: number },
): Promise<string> {
  if (!input.households.length) throw badUserInput('households', 'no households to verify');
  const checkDate = input.asOf ? parseAsOf(input.asOf).toISOString().slice(0, 10) : null;
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `insert into verification_batch (name, total, department, system, purpose, case_number, check_date) values ($1, $2, $3, $4, $5, $6, $7) returning id`,
      [input.name, input.households.length, input.caller.department, input.caller.system, input.caller.purpose, input.caller.caseNumber, checkDate],
    );
    const id = rows[0].id;
    await client.query(
      `insert into verification_batch_item (batch_id, position, applicant_id_number, declared_members, previous_verdict)
       select $1, h.position - 1, h.applicant, array(select jsonb_array_elements_text(h.members)),
         (select v.verdict from verification v where v.applicant_id_number = h.applicant order by v.decided_at desc limit 1)
       from rows from (jsonb_to_recordset($2::jsonb) as (applicant text, members jsonb)) with ordinality as h(applicant, members, position)`,
      [id, JSON.stringify(input.households.map((h) => ({ applicant: h.applicant.trim().toUpperCase(), members: h.declaredMembers })))],
    );
    await enqueueChunks(client, id, input.chunk);
    return id;
  });
}

/** One job per chunk of positions that still has pending households; a job key per chunk keeps it single. */
async function enqueueChunks(db: pg.Pool | pg.PoolClient, batchId: string, chunk: number): Promise<number> {
  const { rowCount } = await db.query(
    `select ${WORKER_SCHEMA}.add_job($2, json_build_object('batchId', $1::text, 'from', c.start, 'to', c.start + $3::int),
       job_key => 'verification-batch-' || $1 || '-' || c.start, max_attempts => 25)
     from (select distinct (position / $3::int) * $3::int as start from verification_batch_item where batch_id = $1 and status = 'pending') c`,
    [batchId, CHUNK_TASK, chunk],
  );
  return rowCount ?? 0;
}

export async function pauseBatch(pool: pg.Pool, id: string): Promise<void> {
  const { rowCount } = await pool.query(`update verification_batch set state = 'paused' where id = $1 and state = 'running'`, [id]);
  if (!rowCount) await mustExist(pool, id);
}

/** Resumes a paused batch (or re-enqueues a running one's pending chunks): idempotent. */
export async function resumeBatch(pool: pg.Pool, id: string, chunk: number): Promise<void> {
  await mustExist(pool, id);
  await inTransaction(pool, async (client) => {
    await client.query(`update verification_batch set state = 'running' where id = $1 and state = 'paused'`, [id]);
    await enqueueChunks(client, id, chunk);
  });
  await finishIfDone(pool, id);
}

async function mustExist(pool: pg.Pool, id: string): Promise<void> {
  if (!/^\d+$/.test(id)) throw notFound('verification batch', id);
  const { rowCount } = await pool.query('select 1 from verification_batch where id = $1', [id]);
  if (!rowCount) throw notFound('verification batch', id);
}

async function finishIfDone(pool: pg.Pool | pg.PoolClient, id: string): Promise<void> {
  await pool.query(
    `update verification_batch set state = 'done', finished_at = now()
     where id = $1 and state <> 'done' and not exists (select 1 from verification_batch_item where batch_id = $1 and status = 'pending')`,
    [id],
  );
}

export interface BatchProgress {
  id: string;
  name: string;
  state: 'RUNNING' | 'PAUSED' | 'DONE';
  total: number;
  done: number;
  rate: number | null;
  etaSeconds: number | null;
  createdAt: string;
  finishedAt: string | null;
  summary: { eligible: number; notEligible: number; incomplete: number; newlyIneligible: number; newlyEligible: number; unchanged: number; errors: number };
  csvPath: string;
}

export async function batchProgress(pool: pg.Pool, id: string): Promise<BatchProgress | null> {
  if (!/^\d+$/.test(id)) return null;
  const { rows } = await pool.query(
    `select b.id::text, b.name, b.state, b.total, b.created_at as "createdAt", b.finished_at as "finishedAt", b.first_done_at as "firstDoneAt",
       extract(epoch from (coalesce(b.finished_at, now()) - b.first_done_at)) as seconds,
       count(*) filter (where i.status = 'done')::int as done,
       count(*) filter (where i.verdict = 'ELIGIBLE')::int as eligible,
       count(*) filter (where i.verdict = 'NOT_ELIGIBLE')::int as "notEligible",
       count(*) filter (where i.verdict = 'INCOMPLETE')::int as incomplete,
       count(*) filter (where i.verdict = 'NOT_ELIGIBLE' and i.previous_verdict = 'ELIGIBLE')::int as "newlyIneligible",
       count(*) filter (where i.verdict = 'ELIGIBLE' and i.previous_verdict is distinct from 'ELIGIBLE')::int as "newlyEligible",
       count(*) filter (where i.verdict = i.previous_verdict)::int as unchanged,
       count(*) filter (where i.status = 'done' and i.verdict is null)::int as errors
     from verification_batch b left join verification_batch_item i on i.batch_id = b.id
     where b.id = $1 group by b.id`,
    [id],
  );
  const r = rows[0];
  if (!r) return null;
  const seconds = r.seconds === null ? null : Number(r.seconds);
  // The first household's time is not measured (its chunk started before): rate over the rest.
  const rate = seconds && seconds > 0 && r.done > 1 ? (r.done - 1) / seconds : null;
  return {
    id: r.id,
    name: r.name,
    state: String(r.state).toUpperCase() as BatchProgress['state'],
    total: r.total,
    done: r.done,
    rate: rate === null ? null : Math.round(rate * 10) / 10,
    etaSeconds: r.state === 'done' ? 0 : rate ? Math.ceil((r.total - r.done) / rate) : null,
    createdAt: new Date(r.createdAt).toISOString(),
    finishedAt: r.finishedAt ? new Date(r.finishedAt).toISOString() : null,
    summary: { eligible: r.eligible, notEligible: r.notEligible, incomplete: r.incomplete, newlyIneligible: r.newlyIneligible, newlyEligible: r.newlyEligible, unchanged: r.unchanged, errors: r.errors },
    csvPath: `/verification/batches/${r.id}.csv`,
  };
}

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** The batch's households as CSV (UTF-8 with BOM, for spreadsheet programs), in batch order. */
export async function batchCsv(pool: pg.Pool, id: string): Promise<{ csv: string; subjects: string[] } | null> {
  if (!(await batchProgress(pool, id))) return null;
  const { rows } = await pool.query(
    `select i.position, i.applicant_id_number as applicant, i.previous_verdict as previous, i.verdict, i.reference, i.error,
       v.result->'income'->>'perCapitaMonthly' as "perCapita", v.result->'income'->>'standardMonthly' as standard,
       (select string_agg(x->>'key', ' ') from jsonb_array_elements(v.result->'items') x where x->>'outcome' in ('FAIL', 'UNAVAILABLE')) as "flagged"
     from verification_batch_item i left join verification v on v.reference = i.reference
     where i.batch_id = $1 order by i.position`,
    [id],
  );
  const change = (p: string | null, v: string | null) =>
    !v ? 'error' : v === 'INCOMPLETE' ? 'incomplete' : p === v ? 'unchanged' : p === 'ELIGIBLE' && v === 'NOT_ELIGIBLE' ? 'newly-ineligible' : v === 'ELIGIBLE' ? 'newly-eligible' : 'changed';
  const header = ['position', 'applicant_id_number', 'previous_verdict', 'verdict', 'change', 'per_capita_monthly_income', 'standard_monthly', 'failed_or_unavailable_items', 'reference', 'error'];
  const lines = rows.map((r) =>
    [r.position, r.applicant, r.previous, r.verdict, change(r.previous, r.verdict), r.perCapita, r.standard, r.flagged, r.reference, r.error].map(csvCell).join(','),
  );
  return { csv: `\uFEFF${[header.join(','), ...lines].join('\n')}\n`, subjects: rows.map((r) => r.applicant as string) };
}

export interface BatchWorkerOptions {
  pool: pg.Pool;
  verifier: Verifier;
  /** Where each chunk's audit entry is committed before its verifications are. */
  audit: { record(draft: AuditDraft): Promise<unknown> };
  logger: Logger;
  /** Jobs run at once in this process. (Default: 2) */
  concurrency?: number;
  /** Households verified at once within a chunk. (Default: 8) */
  parallel?: number;
  /** A worker silent for this long is taken as dead and its jobs unlocked. (Default: 30000) */
  staleMs?: number;
  /** Called after each chunk commits, with its number of households (progress bars). */
  onChunk?: (batchId: string, households: number) => void;
}

export interface BatchWorker {
  stop(): Promise<void>;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]);
      }
    }),
  );
  return out;
}

/** Runs the chunk jobs of every batch in this process until stopped. */
export async function startBatchWorker(options: BatchWorkerOptions): Promise<BatchWorker> {
  const { pool, verifier, audit, logger } = options;
  const staleMs = options.staleMs ?? 30_000;
  const parallel = options.parallel ?? 8;
  const process_ = `${hostname()}:${process.pid}`;
  const workerIds = new Set<string>();

  const chunk: Task = async (raw) => {
    const { batchId, from, to } = raw as { batchId: string; from: number; to: number };
    const { rows: [batch] } = await pool.query(
      `select state, department, system, purpose, case_number as "caseNumber", to_char(check_date, 'YYYY-MM-DD') as "checkDate" from verification_batch where id = $1`,
      [batchId],
    );
    // Paused (or gone): the job ends; resuming enqueues the chunks that still have pending households.
    if (!batch || batch.state !== 'running') return;
    const caller: VerificationCaller = { department: batch.department, system: batch.system, purpose: batch.purpose, caseNumber: batch.caseNumber };
    const verified = await inTransaction(pool, async (client) => {
      const { rows: pending } = await client.query<{ position: number; applicant: string; declared: string[] }>(
        `select position, applicant_id_number as applicant, declared_members as declared from verification_batch_item
         where batch_id = $1 and position >= $2 and position < $3 and status = 'pending' order by position for update skip locked`,
        [batchId, from, to],
      );
      // Done already, or locked by another worker: nothing to verify (the transaction wrote and locked nothing).
      if (!pending.length) return 0;
      const accessed: Access[] = [];
      const decided: StoredVerification[] = [];
      const results = await mapLimit(pending, parallel, async (h) => {
        try {
          const { verification, accessed: a } = await verifier.verify({ applicant: h.applicant, declaredMembers: h.declared, asOf: batch.checkDate }, caller, { store: false });
          accessed.push(...a);
          decided.push(verification);
          return { position: h.position, reference: verification.reference, verdict: verification.verdict, error: null };
        } catch (err) {
          // A household that cannot be verified (e.g. its applicant is no longer in the register) is done, with the reason.
          return { position: h.position, reference: null, verdict: null, error: (err as Error).message };
        }
      });
      await audit.record(batchAuditDraft(caller, batchId, from, accessed));
      await storeVerifications(client, decided, batchId);
      await client.query(
        `update verification_batch_item i set status = 'done', reference = r.reference, verdict = r.verdict, error = r.error, done_at = now()
         from jsonb_to_recordset($2::jsonb) as r(position int, reference text, verdict text, error text)
         where i.batch_id = $1 and i.position = r.position`,
        [batchId, JSON.stringify(results)],
      );
      await client.query('update verification_batch set first_done_at = coalesce(first_done_at, now()) where id = $1', [batchId]);
      return results.length;
    });
    if (!verified) return;
    options.onChunk?.(batchId, verified);
    await finishIfDone(pool, batchId);
  };

  const events = new EventEmitter();
  events.on('worker:create', ({ worker }: { worker: { workerId: string } }) => workerIds.add(worker.workerId));
  events.on('worker:release', ({ worker }: { worker: { workerId: string } }) => workerIds.delete(worker.workerId));
  const { run, makeWorkerUtils } = await graphileWorker();
  const runner: Runner = await run({
    pgPool: pool,
    concurrency: options.concurrency ?? 2,
    noHandleSignals: true,
    pollInterval: 250,
    taskList: { [CHUNK_TASK]: chunk },
    events: events as never,
    logger: await quietLogger(logger),
  });
  // A runner that fails (its database gone for good) must not take the hub down with it: logged, and the hub's health says the rest.
  runner.promise.catch((err: unknown) => logger.error({ err }, 'verification job runner stopped'));
  const utils = await makeWorkerUtils({ pgPool: pool, logger: await quietLogger(logger) });

  const beat = async () => {
    if (workerIds.size) {
      await pool.query(
        `insert into verification_worker (worker_id, process, heartbeat_at) select unnest($1::text[]), $2, now()
         on conflict (worker_id) do update set heartbeat_at = now()`,
        [[...workerIds], process_],
      );
    }
    // Jobs locked by workers that stopped beating (or never beat) for staleMs: a killed process's.
    const { rows } = await pool.query<{ lockedBy: string }>(
      `select distinct j.locked_by as "lockedBy" from ${WORKER_SCHEMA}.jobs j
       where j.task_identifier = $1 and j.locked_by is not null and j.locked_at < now() - $2 * interval '1 millisecond'
         and j.locked_by <> all($3::text[])
         and not exists (select 1 from verification_worker w where w.worker_id = j.locked_by and w.heartbeat_at > now() - $2 * interval '1 millisecond')`,
      [CHUNK_TASK, staleMs, [...workerIds]],
    );
    if (rows.length) {
      logger.warn({ workers: rows.map((r) => r.lockedBy) }, 'unlocking verification jobs of stopped workers');
      await utils.forceUnlockWorkers(rows.map((r) => r.lockedBy));
    }
  };
  let beating = Promise.resolve();
  const timer = setInterval(() => {
    beating = beating.then(beat).catch((err) => logger.warn({ err }, 'verification worker heartbeat failed'));
  }, Math.max(200, Math.floor(staleMs / 3)));
  beating = beating.then(beat).catch((err) => logger.warn({ err }, 'verification worker heartbeat failed'));

  return {
    async stop() {
      clearInterval(timer);
      await beating;
      await runner.stop();
      await utils.release();
      await pool.query('delete from verification_worker where worker_id = any($1)', [[...workerIds]]).catch(() => {});
    },
  };
}

/** The audit entry of one chunk: every resource read, for every household member, under the batch's purpose and case. */
function batchAuditDraft(caller: VerificationCaller, batchId: string, from: number, accessed: Access[]): AuditDraft {
  const merged = new Map<string, { fields: Set<string>; subjects: Set<string> }>();
  for (const a of accessed) {
    let m = merged.get(a.resource);
    if (!m) merged.set(a.resource, (m = { fields: new Set(), subjects: new Set() }));
    for (const f of a.fields) m.fields.add(f);
    for (const s of a.subjects) m.subjects.add(s);
  }
  const resources = [...merged]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([resource, m]) => ({ resource, fields: [...m.fields].sort(), subjects: [...m.subjects].sort() }));
  return {
    at: new Date(),
    department: caller.department,
    system: caller.system,
    roles: ['consumer'],
    purpose: caller.purpose,
    caseNumber: caller.caseNumber,
    operationName: 'verificationBatchChunk',
    documentHash: createHash('sha256').update(`verification-batch:${batchId}:${from}`).digest('hex'),
    resources,
    subjects: [...new Set(resources.flatMap((r) => r.subjects))].sort(),
    resultSize: 0,
    outcome: 'ok',
  };
}
