/**
 * What the audit trail costs: `division(code:)` look-ups through the full stack (token, purpose,
 * guard, audit entry committed before the answer) against the same hub with recording off, in one
 * run, on loopback. Bounded: about 2 × (ROUNDS × SECONDS) seconds of load plus start-up.
 *
 *   npx tsx bench/audit.ts            # embedded PostgreSQL in a temporary directory
 *   BENCH_SECONDS=5 BENCH_ROUNDS=3 BENCH_CONNECTIONS=32 npx tsx bench/audit.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { loadDevIssuer } from '../src/access/index.js';
import { readConfig } from '../src/config.js';
import { connectDatabase, createDatabaseIfMissing, migrate, startEmbeddedPostgres } from '../src/db/index.js';
import { createLogger } from '../src/log.js';
import { fixtureTrail } from '../src/catalog/index.js';
import { prepareRegisters, serveHub } from '../src/main.js';
import { freePort } from '../test/support/ports.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const QUERY = 'query Lookup($code: ID!) { division(code: $code) { code name level } }';

const logger = createLogger('warn');
const dir = await mkdtemp(path.join(tmpdir(), 'huitong-bench-'));
// Durable commits (not the test suite's ephemeral settings): what group commit saves is fsyncs.
const pg = await startEmbeddedPostgres({ dir, port: await freePort(), logger });
try {
  await createDatabaseIfMissing(pg.adminUrl, 'bench');
  const url = pg.urlFor('bench');
  const config = readConfig({
    DATABASE_URL: url,
    HUITONG_DATA_DIR: dir,
    HUITONG_DEV_ISSUER: 'true',
    HUITONG_RATE_LIMIT_PER_MINUTE: '100000000',
    LOG_LEVEL: 'warn',
    PORT: '0',
  });
  const db = await connectDatabase(url, { poolMax: config.dbPoolMax, logger });
  await migrate(db);
  await prepareRegisters(db.pool, fixtureTrail());

  const audited = await serveHub(config, logger, db);
  const unaudited = await serveHub(config, logger, db, { audit: false });
  const token = await (await loadDevIssuer(dir)).sign({ department: 'civil-affairs', roles: ['consumer'], system: 'bench' }, config.jwtAudience);
  const request = {
    method: 'POST' as const,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      'x-purpose': 'low-income-verification',
      'x-case-number': 'BENCH-1',
    },
    body: JSON.stringify({ query: QUERY, variables: { code: '431103' } }),
  };

  const measure = async (hubUrl: string) => {
    const r = await autocannon({ url: `${hubUrl}/graphql`, connections: CONNECTIONS, duration: SECONDS, ...request });
    if (r.non2xx || r.errors || r.timeouts) throw new Error(`${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
    return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total };
  };

  // Warm both (JIT, pools, token cache), then alternate so drift on a shared machine hits both alike.
  await autocannon({ url: `${unaudited.url}/graphql`, connections: CONNECTIONS, duration: 2, ...request });
  await autocannon({ url: `${audited.url}/graphql`, connections: CONNECTIONS, duration: 2, ...request });
  const before = Number((await db.pool.query('select count(*) n from audit_entry')).rows[0].n);
  const off: Awaited<ReturnType<typeof measure>>[] = [];
  const on: Awaited<ReturnType<typeof measure>>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    off.push(await measure(unaudited.url));
    on.push(await measure(audited.url));
  }
  const written = Number((await db.pool.query('select count(*) n from audit_entry')).rows[0].n) - before;
  const checkpoints = Number((await db.pool.query(`select count(*) n from audit_checkpoint`)).rows[0].n);
  const perBatch = (audited.services.audit.log.entriesWritten / audited.services.audit.log.batchesWritten).toFixed(1);

  const summary = (runs: typeof off) => ({
    rps: runs.reduce((s, r) => s + r.rps, 0) / runs.length,
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    total: runs.reduce((s, r) => s + r.total, 0),
  });
  const a = summary(off);
  const b = summary(on);
  const line = (name: string, s: typeof a) =>
    `${name.padEnd(10)} ${s.rps.toFixed(0).padStart(7)} req/s   p50 ${String(s.p50).padStart(4)} ms   p99 ${String(s.p99).padStart(4)} ms   (${s.total} requests)`;
  process.stdout.write(
    [
      `division(code:) look-ups, ${CONNECTIONS} connections, ${ROUNDS} × ${SECONDS} s each, alternating, loopback`,
      line('audit off', a),
      line('audit on', b),
      `ratio on/off: ${(b.rps / a.rps).toFixed(3)}`,
      `audit entries written: ${written}, ${perBatch} entries per commit on average, ${checkpoints} signed checkpoints`,
    ].join('\n') + '\n',
  );
  if (written < b.total) throw new Error(`only ${written} audit entries for ${b.total} audited requests`);
  await audited.close();
  await unaudited.close();
  await db.close();
} finally {
  await pg.stop();
  await rm(dir, { recursive: true, force: true });
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)];
}
