import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
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

/** Fires POSTs of `bodies` (in turn) at `url` from a worker thread, so the load does not share the server's event loop. */
export async function load(url: string, bodies: string[], headers: Record<string, string>, seconds: number, connections: number): Promise<LoadResult> {
  const fire = (duration: number) => autocannon({
    url,
    method: 'POST',
    connections,
    duration,
    workers: 1,
    headers: { 'content-type': 'application/json', ...headers },
    requests: bodies.map((body) => ({ method: 'POST', body })),
  });
  // A short warm-up first, so that each server is measured after its code is optimised.
  await fire(Math.min(2, seconds));
  const result = await fire(seconds);
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
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
 */
export async function openLoop(url: string, bodies: string[], headers: Record<string, string>, rate: number, seconds: number): Promise<OpenLoopResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(url);
  const latencies: number[] = [];
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const send = (body: string, due: number) =>
    new Promise<void>((resolve) => {
      const req = http.request(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(performance.now() - due);
            else failed++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(body);
    });
  const started = performance.now();
  const total = Math.round(rate * seconds);
  for (let n = 0; n < total; ) {
    const now = performance.now();
    for (; n < total && started + (n * 1000) / rate <= now; n++) {
      const sending = send(bodies[n % bodies.length], started + (n * 1000) / rate);
      inFlight.add(sending);
      void sending.then(() => inFlight.delete(sending));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN);
  return { requestsPerSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), max: Math.round(latencies.at(-1) ?? NaN), failed };
}
