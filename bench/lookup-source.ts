/**
 * A person query including `lookup` fields (deposits and securities, asked of the financial
 * institutions at query time), through the full hub, in one run on the same data:
 *   1. the person alone (no lookup): the hub's own latency under this load;
 *   2. the person with deposits and securities, the source answering after 50 ms (cache off, so
 *      that every request reaches the source): p50/p99, expected close to 50 ms plus (1);
 *   3. the source down (accepting, never answering), breaker off: every answer within the timeout,
 *      with SOURCE_UNAVAILABLE on the lookup fields only;
 *   4. the source down with the breaker on: after it opens, answers come at once.
 * The load keeps a fixed number of connections busy, so requests/s fall as latency grows (Little's
 * law): the figures to read are the latencies; the hub's CPU per request barely changes.
 *
 *   npm run bench:lookup-source
 *   BENCH_PERSONS=2000 BENCH_SECONDS=3 npm run bench:lookup-source      # a quick check
 */
import { loadDevIssuer } from '../src/access/index.js';
import { readConfig } from '../src/config.js';
import { serveHub } from '../src/main.js';
import { createLookupSources, type LookupSources } from '../src/registries/department/index.js';
import { grantDemoAccess, seedCity } from '../src/simulate/index.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { benchDatabase, fmt, load, logger, type LoadResult } from './support.js';

const PERSONS = Number(process.env.BENCH_PERSONS ?? 20_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 800);

const PERSON = 'idNumber name gender birthDate status';
const LOOKUPS = 'deposits { totalCount edges { node { accountNumber institution balance } } } securitiesAccounts { edges { node { accountNumber marketValue } } }';

/** The simulator in a process of its own: on the hub's event loop it would be measured with it. */
async function simulator() {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(import.meta.dirname, '../src/simulate/lookups/main.ts')], {
    env: { ...process.env, HUITONG_SIM_LOOKUP_LATENCY_MS: String(LATENCY_MS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const { url } = JSON.parse(line) as { url: string };
  return {
    url,
    set: async (switches: Record<string, unknown>) => {
      const res = await fetch(`${url}/switches`, { method: 'POST', body: JSON.stringify(switches) });
      if (!res.ok) throw new Error(`simulator switches refused: ${await res.text()}`);
    },
    close: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

const bench = await benchDatabase('huitong_bench_lookup_source');
const sim = await simulator();
try {
  const { db } = bench;
  process.stdout.write(`seeding ${fmt(PERSONS)} persons…\n`);
  await seedCity(db.pool, { persons: PERSONS });
  await grantDemoAccess(db.pool);
  const { rows } = await db.pool.query<{ id: string }>(`select id_number as id from person where valid_to is null order by random() limit 2000`);
  const ids = rows.map((r) => r.id);
  const config = readConfig({
    DATABASE_URL: bench.url,
    HUITONG_DATA_DIR: bench.dataDir,
    LOG_LEVEL: 'warn',
    HUITONG_MODE: 'production',
    HUITONG_DEV_ISSUER: 'true',
    HUITONG_RATE_LIMIT_PER_MINUTE: '100000000',
  });
  const sources = (breakerFailures: number): LookupSources =>
    createLookupSources({ override: { baseUrl: sim.url, timeoutMs: TIMEOUT_MS, ttlMs: 0, breakerFailures, halfOpenAfterMs: 10_000 } });
  const token = async (dataDir: string) => (await loadDevIssuer(dataDir)).sign({ department: 'civil-affairs', roles: ['consumer'], ttl: '1h' }, config.jwtAudience);
  const body = (fields: string) => ids.map((id) => JSON.stringify({ query: `query ($id: String!) { person(idNumber: $id) { ${fields} } }`, variables: { id } }));

  const run = async (label: string, breakerFailures: number, fields: string, down: boolean): Promise<LoadResult & { unavailable: boolean }> => {
    await sim.set({ down });
    const hub = await serveHub({ ...config, port: 0 }, logger, db, { lookups: sources(breakerFailures) });
    try {
      const headers = { authorization: `Bearer ${await token(bench.dataDir)}`, 'x-purpose': 'low-income-verification', 'x-case-number': 'BENCH-LOOKUP' };
      const check = (await (await fetch(`${hub.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body(fields)[0] })).json()) as {
        data?: { person?: { name?: string } };
        errors?: { extensions?: { code?: string } }[];
      };
      if (!check.data?.person?.name) throw new Error(`${label}: no person in the answer: ${JSON.stringify(check)}`);
      const unavailable = !!check.errors?.length && check.errors.every((e) => e.extensions?.code === 'SOURCE_UNAVAILABLE');
      if (down !== unavailable) throw new Error(`${label}: unexpected answer: ${JSON.stringify(check)}`);
      const r = await load(`${hub.url}/graphql`, body(fields), headers, SECONDS, CONNECTIONS);
      process.stdout.write(`${label.padEnd(52)} ${fmt(r.requestsPerSecond)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms${r.errors || r.non2xx ? `, ${r.errors} errors, ${r.non2xx} non-2xx` : ''}\n`);
      return { ...r, unavailable };
    } finally {
      await hub.close();
    }
  };

  process.stdout.write(`${SECONDS} s per load, ${CONNECTIONS} connections, source latency ${LATENCY_MS} ms, timeout ${TIMEOUT_MS} ms\n\n`);
  const alone = await run('1. person alone', 5, PERSON, false);
  const up = await run(`2. person + deposits + securities (${LATENCY_MS} ms)`, 5, `${PERSON} ${LOOKUPS}`, false);
  const down = await run('3. source down, breaker off', 1_000_000, `${PERSON} ${LOOKUPS}`, true);
  const open = await run('4. source down, breaker on (opens after 5)', 5, `${PERSON} ${LOOKUPS}`, true);
  process.stdout.write(
    `\nover the person alone at p50: the lookups add ${fmt(up.p50 - alone.p50)} ms (source latency ${LATENCY_MS} ms); ` +
      `the source down adds ${fmt(down.p50 - alone.p50)} ms (timeout ${TIMEOUT_MS} ms), ${fmt(open.p50 - alone.p50)} ms once the breaker is open; ` +
      `down answers carry SOURCE_UNAVAILABLE on the lookup fields only (checked)\n`,
  );
  process.stdout.write(
    `lookup-source: p50 ${up.p50} ms, p99 ${up.p99} ms at ${LATENCY_MS} ms latency; down: p50 ${down.p50} ms, p99 ${down.p99} ms (timeout ${TIMEOUT_MS} ms); ` +
      `down with breaker open: p50 ${open.p50} ms, p99 ${open.p99} ms\n`,
  );
} finally {
  await sim.close();
  await bench.close();
}
