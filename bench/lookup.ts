/**
 * Person look-ups by ID number, in one run on the same data (DESIGN.md §7):
 *   1. a bare `pg` primary-key query loop from Node (queries/s);
 *   2. a minimal graphql-yoga server whose one resolver runs that query with `pg`, behind a bearer check;
 *   3. the full hub as `npm start` runs it, with `person(idNumber)`, a dev-issuer token and a stated purpose;
 *   4. `personsByIdNumbers` with 50 IDs per request on the full hub, in persons/s;
 *   5. with BENCH_WORKERS > 1, the hub as that many processes sharing the port (node:cluster);
 *   6. a soak: the hub at 70% of its own peak (open loop: requests sent when due, latency counted
 *      from then), with its latency and memory per window, and what the hub's own `/metrics` saw
 *      in that window (its CPU, audit batches, GC time, event-loop delay, answers over 50 ms), so
 *      that a slow window says whether the hub, its database or the load generator was slow.
 * Each server runs in a process of its own (`bench/servers.ts`), so its CPU time per request and
 * its memory are its own; the load comes from this process. Targets: full ≥ 0.8 × minimal
 * requests/s; batched persons/s ≥ 0.4 × bare pg; soak p99 < 50 ms with memory flat; hub RSS < 250 MB.
 *
 *   npm run bench                           # 100,000 persons, 4 alternating rounds of 5 s per load, 60 s soak
 *   BENCH_PERSONS=1000000 BENCH_SOAK_SECONDS=300 npm run bench   # the figures of DESIGN §7
 *   BENCH_PERSONS=20000 BENCH_SECONDS=5 BENCH_ROUNDS=1 BENCH_SOAK_SECONDS=0 npm run bench   # a quick look
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type pg from 'pg';
import { loadDevIssuer } from '../src/access/index.js';
import { readConfig } from '../src/config.js';
import { grantDemoAccess, seedCity } from '../src/simulate/index.js';
import { freePort } from '../test/support/ports.js';
import { benchDatabase, FIELDS, fire, fmt, loadResult, LOOKUP, openLoop, type LoadResult, type OpenLoopResult } from './support.js';

const PERSONS = Number(process.env.BENCH_PERSONS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 60);
const SOAK_WINDOW = 30;

const bench = await benchDatabase('huitong_bench_lookup');
const servers: Server[] = [];
try {
  const { db } = bench;
  process.stdout.write(`seeding ${fmt(PERSONS)} persons…\n`);
  await seedCity(db.pool, { persons: PERSONS });
  // As in the demo: civil affairs holds a grant on the population for low-income checks.
  await grantDemoAccess(db.pool);
  // The seeding's writes are settled before anything is measured: a checkpoint or an autovacuum of
  // the freshly loaded tables in the middle of the soak would measure the bulk load, not the hub.
  // (On an external server the bench's role may lack the right to checkpoint: then it goes on without.)
  await db.pool.query('vacuum analyze');
  await db.pool.query('checkpoint').catch((err: Error) => process.stdout.write(`(no checkpoint before measuring: ${err.message})\n`));
  const { rows: size } = await db.pool.query<{ persons: number; bytes: string }>(
    `select count(*)::int as persons, pg_size_pretty(pg_total_relation_size('person')) as bytes from person`);
  const { rows: sample } = await db.pool.query<{ id: string }>(`select id_number as id from person order by random() limit 5000`);
  const ids = sample.map((r) => r.id);
  process.stdout.write(`database: ${fmt(size[0].persons)} persons, person table with indexes ${size[0].bytes}; ${SECONDS} s per load, ${CONNECTIONS} connections\n\n`);

  // 1. Bare pg: as many concurrent loops as the pool has connections.
  const bare = await bareLoop(db.pool, ids, SECONDS);
  process.stdout.write(`1. bare pg primary-key loop:  ${fmt(bare)} queries/s\n`);

  const one = (id: string) => JSON.stringify({ query: `query ($id: String!) { person(idNumber: $id) { ${FIELDS} } }`, variables: { id } });
  const bodies = ids.slice(0, 1000).map(one);
  const batches = Array.from({ length: 100 }, (_, i) =>
    JSON.stringify({
      query: `query ($ids: [String!]!) { personsByIdNumbers(idNumbers: $ids) { ${FIELDS} } }`,
      variables: { ids: Array.from({ length: 50 }, (_, j) => ids[(i * 50 + j) % ids.length]) },
    }));

  const config = readConfig({ DATABASE_URL: bench.url, HUITONG_DATA_DIR: bench.dataDir, HUITONG_DEV_ISSUER: 'true' });
  // The token as departmental systems send it, signed before the hub reads the issuer's key.
  const token = await (await loadDevIssuer(bench.dataDir)).sign({ department: 'civil-affairs', roles: ['consumer'], ttl: '2h' }, config.jwtAudience);
  const headers = { authorization: `Bearer ${token}`, 'x-purpose': 'low-income-verification', 'x-case-number': 'BENCH-1' };
  const env = { DATABASE_URL: bench.url, HUITONG_DATA_DIR: bench.dataDir };
  const minimal = await start('minimal', env);
  const hub = await start('serve', {
    ...env,
    LOG_LEVEL: 'error',
    HUITONG_MODE: 'production',
    HUITONG_DEV_ISSUER: 'true',
    HUITONG_DEMO: 'false',
    HUITONG_SIMULATORS: 'false',
    HUITONG_SCHEDULE_SYNCS: 'false',
    // One caller asks here at full speed: the per-system limit would measure itself.
    HUITONG_RATE_LIMIT_PER_MINUTE: '100000000',
  });
  const pooled = WORKERS > 1 ? await start('hub', { ...env, BENCH_WORKERS: String(WORKERS) }) : null;
  const check = await (await fetch(hub.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: bodies[0] })).json();
  if (!(check as { data?: { person?: unknown } }).data?.person) throw new Error(`the hub did not answer a look-up: ${JSON.stringify(check)}`);

  // 2–5 in alternating rounds, so that a neighbour's load on this shared machine hits each alike.
  const results = { minimal: [] as Measured[], full: [] as Measured[], batched: [] as Measured[], pooled: [] as Measured[] };
  for (let round = 1; round <= ROUNDS; round++) {
    process.stdout.write(`round ${round}\n`);
    results.minimal.push(print('2. minimal yoga + pg:', await measure(minimal, bodies, headers)));
    results.full.push(print('3. full hub person(idNumber):', await measure(hub, bodies, headers)));
    results.batched.push(print('4. full hub personsByIdNumbers ×50:', await measure(hub, batches, headers)));
    if (pooled) results.pooled.push(print(`5. hub × ${WORKERS} processes person(idNumber):`, await measure(pooled, bodies, headers)));
  }

  const mean = (rs: Measured[], f: (r: Measured) => number) => rs.reduce((sum, r) => sum + f(r), 0) / rs.length;
  const rps = (rs: Measured[]) => mean(rs, (r) => r.requestsPerSecond);
  const cpu = (rs: Measured[]) => mean(rs, (r) => r.cpuMsPerRequest);
  const ratioFull = rps(results.full) / rps(results.minimal);
  const batchedPersons = rps(results.batched) * 50;

  // 6. The soak, at 70% of the hub's own peak.
  const soak = SOAK_SECONDS > 0 ? await soakAt(hub, Math.round(0.7 * rps(results.full)), bodies, headers) : null;

  process.stdout.write(
    `\nmeans over ${ROUNDS} rounds: minimal ${fmt(rps(results.minimal))} req/s (${cpu(results.minimal).toFixed(3)} ms CPU each), ` +
      `full ${fmt(rps(results.full))} req/s (${cpu(results.full).toFixed(3)} ms CPU each)\n` +
      `full / minimal: ${ratioFull.toFixed(2)} (target ≥ 0.80); CPU per request minimal / full: ${(cpu(results.minimal) / cpu(results.full)).toFixed(2)}\n` +
      `batched: ${fmt(batchedPersons)} persons/s; / bare pg ${fmt(bare)} persons/s: ${(batchedPersons / bare).toFixed(2)} (target ≥ 0.40)\n` +
      (pooled ? `hub × ${WORKERS} processes: ${fmt(rps(results.pooled))} req/s, ${(rps(results.pooled) / rps(results.full)).toFixed(2)} × one process, ${(rps(results.pooled) / rps(results.minimal)).toFixed(2)} × minimal\n` : '') +
      `hub RSS: ${fmt(hub.peakRss)} MB at peak, ${fmt(rssMb(hub))} MB now, at ${fmt(size[0].persons)} persons (target < 250 MB at 1,000,000); minimal ${fmt(minimal.peakRss)} MB\n` +
      (soak
        ? `soak: ${fmt(soak.rate)} req/s for ${soak.seconds} s: p50 ${soak.p50} ms, p99 ${soak.p99} ms (worst window; target < 50), RSS ${fmt(soak.rssStart)} → ${fmt(soak.rssEnd)} MB\n`
        : ''),
  );
} finally {
  // Each server stopped before the database is: the hub drains and closes its pool first.
  await Promise.all(servers.map((s) => new Promise((resolve) => (s.process.exitCode !== null ? resolve(null) : (s.process.once('exit', resolve), s.process.kill('SIGTERM'))))));
  await bench.close();
}

interface Server {
  kind: string;
  url: string;
  process: ChildProcess;
  /** Most memory its processes held together at any sample, MB. */
  peakRss: number;
}

interface Measured extends LoadResult {
  cpuMsPerRequest: number;
}

/**
 * Starts a server on a free port and waits for it to listen: the hub as `npm start` runs it
 * (`node bin/huitong.js serve`, from dist/ when it is built), the others from `bench/servers.ts`.
 */
async function start(kind: 'minimal' | 'hub' | 'serve', env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const args = kind === 'serve' ? ['bin/huitong.js', 'serve'] : ['--import', 'tsx', 'bench/servers.ts', kind];
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('listening ')) resolve(line.slice(10));
      const serving = /serving GraphQL at (\S+)/.exec(line);
      if (serving) resolve(serving[1].replace('localhost', '127.0.0.1'));
    });
  });
  const server: Server = { kind, url, process: child, peakRss: 0 };
  servers.push(server);
  return server;
}

/** The server's process and its children (cluster workers), from /proc. */
function processTree(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return [pid, ...children.flatMap(processTree)];
  } catch {
    return [];
  }
}

/** CPU time (user + system) of the server's processes so far, ms. */
function cpuMs(server: Server): number {
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  return processTree(server.process.pid!).reduce((sum, pid) => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return sum + (Number(fields[11]) + Number(fields[12])) * tick;
  }, 0);
}

function rssMb(server: Server): number {
  const mb = processTree(server.process.pid!).reduce((sum, pid) => {
    const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return sum + (line ? Number(line[1]) / 1024 : 0);
  }, 0);
  server.peakRss = Math.max(server.peakRss, mb);
  return mb;
}

/** A warm-up, then a closed-loop load; with the server's CPU time per request. */
async function measure(server: Server, requests: string[], headers: Record<string, string>): Promise<Measured> {
  await fire(server.url, requests, headers, Math.min(2, SECONDS), CONNECTIONS);
  const before = cpuMs(server);
  const sampler = setInterval(() => rssMb(server), 500);
  const result = await fire(server.url, requests, headers, SECONDS, CONNECTIONS);
  clearInterval(sampler);
  const total = result.requests.total;
  return { ...loadResult(result), cpuMsPerRequest: total ? (cpuMs(server) - before) / total : NaN };
}

/** The hub at a steady rate for SOAK_SECONDS (open loop), in windows of 30 s, each printed. */
async function soakAt(server: Server, rate: number, requests: string[], headers: Record<string, string>) {
  process.stdout.write(`\n6. soak at ${fmt(rate)} req/s (70% of the hub's peak), open loop, for ${SOAK_SECONDS} s\n`);
  const rssStart = rssMb(server);
  const windows: OpenLoopResult[] = [];
  for (let done = 0; done < SOAK_SECONDS; done += SOAK_WINDOW) {
    const seconds = Math.min(SOAK_WINDOW, SOAK_SECONDS - done);
    const sampler = setInterval(() => rssMb(server), 1000);
    const before = await hubMetrics(server);
    const cpuBefore = cpuMs(server);
    const r = await openLoop(server.url, requests, headers, rate, seconds);
    const cpuPct = ((cpuMs(server) - cpuBefore) / (seconds * 1000)) * 100;
    const after = await hubMetrics(server);
    clearInterval(sampler);
    if (r.failed) throw new Error(`soak: ${r.failed} requests failed`);
    windows.push(r);
    // What the hub itself saw in the window, from its /metrics before and after.
    const d = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    const batches = d('huitong_audit_flush_seconds_count');
    const slowest = (le: string) => d(`huitong_audit_flush_seconds_bucket{le="${le}"}`);
    const served = d('huitong_graphql_request_duration_seconds_count');
    // The target's 50 ms, as the hub timed its answers (from the parsed request to the result): what is
    // over it here is the hub's; what the load generator sees beyond that is the wire and itself.
    const slowServed = served - d('huitong_graphql_request_duration_seconds_bucket{le="0.05"}');
    const ms = (seconds: number | undefined) => ((seconds ?? NaN) * 1000).toFixed(0);
    const audit = batches ? `audit ${(d('huitong_audit_batch_entries_sum') / batches).toFixed(1)} entries/batch, ${((d('huitong_audit_flush_seconds_sum') / batches) * 1000).toFixed(1)} ms/batch` : 'audit idle';
    process.stdout.write(
      `   ${String(done + seconds).padStart(4)} s: ${fmt(r.requestsPerSecond)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms, RSS ${fmt(rssMb(server))} MB; ` +
        `hub CPU ${cpuPct.toFixed(0)}%, ${audit}, GC ${(d('huitong_process_nodejs_gc_duration_seconds_sum') * 1000).toFixed(0)} ms, ` +
        `event-loop delay p99 ${ms(after.get('huitong_process_nodejs_eventloop_lag_p99_seconds'))} max ${ms(after.get('huitong_process_nodejs_eventloop_lag_max_seconds'))} ms, ` +
        `in the hub over 50 ms: ${fmt(slowServed)} of ${fmt(served)} answers, ${fmt(batches - slowest('0.05'))} audit batches\n`,
    );
  }
  const sorted = windows.map((w) => w.p50).sort((a, b) => a - b);
  return {
    rate,
    seconds: SOAK_SECONDS,
    p50: sorted[Math.floor(sorted.length / 2)],
    p99: Math.max(...windows.map((w) => w.p99)),
    rssStart,
    rssEnd: rssMb(server),
  };
}

/** The hub's own Prometheus figures, summed over label sets: name → value. */
async function hubMetrics(server: Server): Promise<Map<string, number>> {
  const text = await (await fetch(new URL('/metrics', server.url))).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z0-9_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m) continue;
    values.set(m[1], (values.get(m[1]) ?? 0) + Number(m[3]));
    // A histogram's buckets by their bound alone (other labels summed).
    const le = m[2] && /le="([^"]+)"/.exec(m[2]);
    if (le) values.set(`${m[1]}{le="${le[1]}"}`, (values.get(`${m[1]}{le="${le[1]}"}`) ?? 0) + Number(m[3]));
  }
  return values;
}

function print(label: string, r: Measured): Measured {
  process.stdout.write(`${label.padEnd(42)} ${fmt(r.requestsPerSecond)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.cpuMsPerRequest.toFixed(3)} ms CPU/request\n`);
  // Failed answers are quick answers: figures with any are no measure of look-ups.
  if (r.errors || r.non2xx) throw new Error(`${label} ${r.errors} connection errors, ${r.non2xx} non-2xx answers`);
  return r;
}

async function bareLoop(pool: pg.Pool, ids: string[], seconds: number): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let done = 0;
  const worker = async (offset: number) => {
    for (let i = offset; Date.now() < until; i++) {
      await pool.query({ name: 'bench-lookup', text: LOOKUP, values: [ids[i % ids.length]] });
      done++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: pool.options.max ?? 10 }, (_, i) => worker(i * 97)));
  return done / ((Date.now() - started) / 1000);
}
