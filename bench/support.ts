import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { connectDatabase, createDatabaseIfMissing, migrate, startEmbeddedPostgres, type Database } from '../src/db/index.js';
import { fixtureTrail } from '../src/catalog/index.js';
import { prepareRegisters } from '../src/main.js';
import { createLogger } from '../src/log.js';
import { freePort } from '../test/support/ports.js';

export const logger = createLogger('warn');

/** The person fields every look-up benchmark asks for. */
export const FIELDS = 'idNumber name gender birthDate ethnicity address maritalStatus status';
/** The look-up the minimal server runs: the current version of one person, by the partial unique index. */
export const LOOKUP = `select id_number as "idNumber", name, gender, birth_date as "birthDate", ethnicity, address,
  marital_status as "maritalStatus", status from person where id_number = $1 and valid_to is null`;


/**
 * A migrated database of its own for a benchmark: on `DATABASE_URL`'s server when set (a fresh
 * database is created there), else on an embedded PostgreSQL in a temporary directory.
 */
export async function benchDatabase(name: string): Promise<{ db: Database; url: string; dataDir: string; close(): Promise<void> }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `huitong-bench-`));
  let adminUrl = process.env.DATABASE_URL;
  let stop = async () => {};
  if (!adminUrl) {
    const server = await startEmbeddedPostgres({ dir: dataDir, port: await freePort(), logger });
    adminUrl = server.adminUrl;
    stop = () => server.stop();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const admin = new (await import('pg')).default.Client(adminUrl);
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
  await createDatabaseIfMissing(adminUrl, name);
  // At 'error': connections the server drops while the benchmark shuts down are no news.
  const db = await connectDatabase(u.toString(), { poolMax: 10, logger: createLogger('error') });
  await migrate(db);
  await prepareRegisters(db.pool, fixtureTrail());
  return {
    db,
    url: u.toString(),
    dataDir,
    async close() {
      await db.close();
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Fires POSTs of `bodies` (in turn) at `url` for `duration` s from a worker thread, so the load does not share a server's event loop. */
export function fire(url: string, bodies: string[], headers: Record<string, string>, duration: number, connections: number) {
  return autocannon({
    url,
    method: 'POST',
    connections,
    duration,
    workers: 1,
    headers: { 'content-type': 'application/json', ...headers },
    requests: bodies.map((body) => ({ method: 'POST', body })),
  });
}

export function loadResult(result: autocannon.Result): LoadResult {
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** A short warm-up first, so that each server is measured after its code is optimised; then the load. */
export async function load(url: string, bodies: string[], headers: Record<string, string>, seconds: number, connections: number): Promise<LoadResult> {
  await fire(url, bodies, headers, Math.min(2, seconds), connections);
  return loadResult(await fire(url, bodies, headers, seconds, connections));
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en');

export interface OpenLoopResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  failed: number;
}

/**
 * An open-loop load: requests due at a steady `rate` (one every 1/rate s, not in bursts), each sent
 * when due whatever the answers before it, on up to 256 keep-alive connections. Latency is counted
 * from when a request was due, so a server (or a generator) that falls behind shows it. Autocannon's
 * `overallRate` sends each second's quota in a burst at the top of the second, which measures the
 * burst's queue rather than the server: the minimal yoga server showed p50 180 ms at 100 req/s.
 *
 * Requests are written as prepared bytes on plain sockets and answers read by their length, as
 * autocannon and wrk do: the generator shares the machine's two cores with the server, and Node's
 * `http` client cost about a third of the hub's own CPU per request, which then showed as latency.
 */
export async function openLoop(url: string, bodies: string[], headers: Record<string, string>, rate: number, seconds: number): Promise<OpenLoopResult> {
  const target = new URL(url);
  const head = `POST ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\ncontent-type: application/json\r\n` +
    Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  const requests = bodies.map((body) => Buffer.from(`${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`));
  const latencies: number[] = [];
  let failed = 0;
  let pending = 0;
  let open = 0;
  const idle: Connection[] = [];
  const queued: { request: Buffer; due: number }[] = [];
  let finished: () => void = () => {};

  interface Connection {
    socket: net.Socket;
    due: number | null;
    received: Buffer;
  }
  const take = (): Connection | null => idle.pop() ?? (open < 256 ? connect() : null);
  const send = (conn: Connection, request: Buffer, due: number) => {
    conn.due = due;
    conn.socket.write(request);
  };
  const done = (conn: Connection | null, ok: boolean, due: number) => {
    if (ok) latencies.push(performance.now() - due);
    else failed++;
    pending--;
    if (conn) idle.push(conn);
    for (let next: Connection | null; queued.length && (next = take()); ) {
      const { request, due: when } = queued.shift()!;
      send(next, request, when);
    }
    if (!pending) finished();
  };
  const connect = (): Connection => {
    const conn: Connection = { socket: net.connect(Number(target.port), target.hostname), due: null, received: Buffer.alloc(0) };
    open++;
    conn.socket.setNoDelay(true);
    conn.socket.on('data', (chunk: Buffer) => {
      conn.received = conn.received.length ? Buffer.concat([conn.received, chunk]) : chunk;
      const complete = answerLength(conn.received);
      if (complete === null || conn.received.length < complete || conn.due === null) return;
      const ok = conn.received.subarray(9, 12).toString() === '200';
      const due = conn.due;
      conn.received = Buffer.alloc(0);
      conn.due = null;
      done(conn, ok, due);
    });
    let gone = false;
    const lost = () => {
      if (gone) return;
      gone = true;
      open--;
      const at = idle.indexOf(conn);
      if (at >= 0) idle.splice(at, 1);
      conn.socket.destroy();
      if (conn.due !== null) done(null, false, conn.due);
    };
    conn.socket.on('error', lost);
    conn.socket.on('close', lost);
    return conn;
  };
  const dispatch = (request: Buffer, due: number) => {
    pending++;
    const conn = take();
    if (conn) send(conn, request, due);
    else queued.push({ request, due });
  };

  const started = performance.now();
  const total = Math.round(rate * seconds);
  for (let n = 0; n < total; ) {
    const now = performance.now();
    for (; n < total && started + (n * 1000) / rate <= now; n++) dispatch(requests[n % requests.length], started + (n * 1000) / rate);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  if (pending) await new Promise<void>((resolve) => (finished = resolve));
  const elapsed = (performance.now() - started) / 1000;
  for (const conn of idle) conn.socket.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN);
  return { requestsPerSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), max: Math.round(latencies.at(-1) ?? NaN), failed };
}

/** Bytes of the whole HTTP answer at the start of `received` once its head is in, or null before. */
function answerLength(received: Buffer): number | null {
  const end = received.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = received.subarray(0, end).toString('latin1').toLowerCase();
  const length = /\r\ncontent-length: *(\d+)/.exec(head);
  if (length) return end + 4 + Number(length[1]);
  // Chunked: complete at the last, empty chunk (an answer at a time per connection, no trailers).
  return received.subarray(received.length - 5).toString('latin1') === '0\r\n\r\n' ? received.length : Number.MAX_SAFE_INTEGER;
}
