/**
 * Person look-ups by ID number, in one run on the same data (DESIGN.md §7):
 *   1. a bare `pg` primary-key query loop from Node (queries/s);
 *   2. a minimal graphql-yoga server whose one resolver runs that query with `pg`;
 *   3. the full hub (`serveHub`) with `person(idNumber)`, a dev-issuer token and a stated purpose;
 *   4. `personsByIdNumbers` with 50 IDs per request on the full hub, in persons/s.
 * Targets: full ≥ 0.8 × minimal requests/s; batched persons/s ≥ 0.4 × bare pg persons/s.
 *
 *   npm run bench                           # 100,000 persons, 4 alternating rounds of 5 s per load
 *   BENCH_PERSONS=20000 BENCH_SECONDS=5 BENCH_ROUNDS=1 npm run bench
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga } from 'graphql-yoga';
import type pg from 'pg';
import { loadDevIssuer } from '../src/access/index.js';
import { readConfig } from '../src/config.js';
import { serveHub } from '../src/main.js';
import { grantDemoAccess, seedCity } from '../src/simulate/index.js';
import { benchDatabase, fmt, load, logger, type LoadResult } from './support.js';

const PERSONS = Number(process.env.BENCH_PERSONS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const FIELDS = 'idNumber name gender birthDate ethnicity address maritalStatus status';
/** The look-up every variant runs: the current version of one person, by the partial unique index. */
const LOOKUP = `select id_number as "idNumber", name, gender, birth_date as "birthDate", ethnicity, address,
  marital_status as "maritalStatus", status from person where id_number = $1 and valid_to is null`;

const bench = await benchDatabase('huitong_bench_lookup');
try {
  const { db } = bench;
  process.stdout.write(`seeding ${fmt(PERSONS)} persons…\n`);
  await seedCity(db.pool, { persons: PERSONS });
  // As in the demo: civil affairs holds a grant on the population for low-income checks.
  await grantDemoAccess(db.pool);
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

  // 2–4 in alternating rounds, so that a neighbour's load on this shared machine hits each alike.
  const minimal = await minimalYoga(db.pool);
  const config = readConfig({
    DATABASE_URL: bench.url,
    HUITONG_DATA_DIR: bench.dataDir,
    LOG_LEVEL: 'warn',
    HUITONG_MODE: 'production',
    HUITONG_DEV_ISSUER: 'true',
    // One caller asks here at full speed: the per-system limit would measure itself.
    HUITONG_RATE_LIMIT_PER_MINUTE: '100000000',
  });
  const hub = await serveHub({ ...config, port: 0 }, logger, db);
  // 3. The full hub, with a token and a stated purpose as departmental systems send them.
  const token = await (await loadDevIssuer(bench.dataDir)).sign({ department: 'civil-affairs', roles: ['consumer'], ttl: '1h' }, config.jwtAudience);
  const headers = { authorization: `Bearer ${token}`, 'x-purpose': 'low-income-verification', 'x-case-number': 'BENCH-1' };
  const check = await (await fetch(`${hub.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: bodies[0] })).json();
  if (!(check as { data?: { person?: unknown } }).data?.person) throw new Error(`the hub did not answer a look-up: ${JSON.stringify(check)}`);
  // 4. Batches of 50 on the full hub.
  const batches = Array.from({ length: 100 }, (_, i) =>
    JSON.stringify({
      query: `query ($ids: [String!]!) { personsByIdNumbers(idNumbers: $ids) { ${FIELDS} } }`,
      variables: { ids: Array.from({ length: 50 }, (_, j) => ids[(i * 50 + j) % ids.length]) },
    }));

  const results = { minimal: [] as LoadResult[], full: [] as LoadResult[], batched: [] as LoadResult[] };
  for (let round = 1; round <= ROUNDS; round++) {
    process.stdout.write(`round ${round}\n`);
    results.minimal.push(print('2. minimal yoga + pg:', await load(minimal.url, bodies, {}, SECONDS, CONNECTIONS)));
    results.full.push(print('3. full hub person(idNumber):', await load(`${hub.url}/graphql`, bodies, headers, SECONDS, CONNECTIONS)));
    results.batched.push(print('4. full hub personsByIdNumbers ×50:', await load(`${hub.url}/graphql`, batches, headers, SECONDS, CONNECTIONS)));
  }
  await hub.close();
  await new Promise((r) => minimal.server.close(r));

  const mean = (rs: LoadResult[]) => rs.reduce((sum, r) => sum + r.requestsPerSecond, 0) / rs.length;
  const ratioFull = mean(results.full) / mean(results.minimal);
  const batchedPersons = mean(results.batched) * 50;
  process.stdout.write(
    `\nmeans over ${ROUNDS} rounds: minimal ${fmt(mean(results.minimal))} req/s, full ${fmt(mean(results.full))} req/s\n` +
      `full / minimal: ${ratioFull.toFixed(2)} (target ≥ 0.80)\n` +
      `batched: ${fmt(batchedPersons)} persons/s; / bare pg ${fmt(bare)} persons/s: ${(batchedPersons / bare).toFixed(2)} (target ≥ 0.40)\n`,
  );
} finally {
  await bench.close();
}

function print(label: string, r: LoadResult): LoadResult {
  process.stdout.write(`${label.padEnd(38)} ${fmt(r.requestsPerSecond)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms\n`);
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

async function minimalYoga(pool: pg.Pool): Promise<{ server: Server; url: string }> {
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: `type Query { person(idNumber: String!): Person }
        type Person { ${FIELDS.split(' ').map((f) => `${f}: String`).join(' ')} }`,
      resolvers: {
        Query: {
          person: async (_root: unknown, { idNumber }: { idNumber: string }) =>
            (await pool.query({ name: 'bench-lookup', text: LOOKUP, values: [idNumber] })).rows[0] ?? null,
        },
      },
    }),
    graphiql: false,
    landingPage: false,
    logging: false,
  });
  const server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` };
}
