/**
 * Spatial look-ups through the whole GraphQL stack under concurrent load: `locate` at random
 * points in Yongzhou, and `cityComponents(near:)` (300 m, first 20) around random addresses.
 *
 *   DATABASE_URL=postgres://…/huitong npx tsx bench/spatial.ts [--seconds 10] [--connections 20]
 *
 * The synthetic places are seeded (demo scale) into the database if it has none.
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadDevIssuer } from '../src/access/index.js';
import { readConfig } from '../src/config.js';
import { connectDatabase, migrate } from '../src/db/index.js';
import { createLogger } from '../src/log.js';
import { fixtureTrail } from '../src/catalog/index.js';
import { prepareRegisters, serveHub } from '../src/main.js';
import { seedSpatial } from '../src/simulate/index.js';
import { SpatialRandom } from '../src/simulate/spatial-prng.js';

/** The part of autocannon's API used here (the package ships no types). */
interface LoadRequest {
  method: string;
  headers: Record<string, string>;
  setupRequest(req: Record<string, unknown>): Record<string, unknown>;
}
interface LoadResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: {
  url: string;
  connections: number;
  duration: number;
  requests: LoadRequest[];
}) => Promise<LoadResult>;

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '20' } } });
const url = process.env.DATABASE_URL;
if (!url) throw new Error('Set DATABASE_URL to a PostgreSQL database to run against.');
const logger = createLogger('warn');
const db = await connectDatabase(url, { poolMax: 10, logger });
await migrate(db);
await prepareRegisters(db.pool, fixtureTrail());
await seedSpatial(db.pool, { scale: 0.2 });
const dataDir = await mkdtemp(path.join(tmpdir(), 'huitong-bench-'));
const config = readConfig({ DATABASE_URL: url, HUITONG_DATA_DIR: dataDir, HUITONG_DEV_ISSUER: 'true', LOG_LEVEL: 'warn' });
const hub = await serveHub({ ...config, port: 0 }, logger, db);
// Asked as the urban-management department's system, for its registered purpose.
const token = await (await loadDevIssuer(dataDir)).sign({ department: 'urban-management', roles: ['consumer'] }, config.jwtAudience);
const headers = {
  'content-type': 'application/json',
  authorization: `Bearer ${token}`,
  'x-purpose': 'urban-management',
  'x-case-number': 'BENCH-0001',
};

const random = new SpatialRandom(7);
const { rows: spots } = await db.pool.query<{ lng: number; lat: number }>(
  `select location[0] lng, location[1] lat from address where valid_to is null and code like '4311%' order by code limit 5000`,
);

async function run(name: string, body: () => object) {
  // One request first: a benchmark of refusals would measure nothing.
  const probe = (await (await fetch(`${hub.url}/graphql`, { method: 'POST', headers, body: JSON.stringify(body()) })).json()) as {
    errors?: unknown[];
  };
  if (probe.errors) throw new Error(`${name}: ${JSON.stringify(probe.errors)}`);
  const result = await autocannon({
    url: `${hub.url}/graphql`,
    connections: Number(values.connections),
    duration: Number(values.seconds),
    requests: [
      {
        method: 'POST',
        headers,
        setupRequest: (req) => ({ ...req, body: JSON.stringify(body()) }),
      },
    ],
  });
  const failed = result.non2xx + result.errors;
  console.log(
    `${name.padEnd(28)} ${result.requests.average.toFixed(0).padStart(6)} req/s  p50 ${result.latency.p50} ms  ` +
      `p99 ${result.latency.p99} ms  failed ${failed}`,
  );
}

await run('locate (random point)', () => ({
  query: 'query ($lng: Float!, $lat: Float!) { locate(lng: $lng, lat: $lat) { division { code name } grid { code } } }',
  variables: { lng: 110.9 + random.next() * 1.5, lat: 24.6 + random.next() * 2.3 },
}));
await run('cityComponents near 300 m', () => ({
  query: `query ($lng: Float!, $lat: Float!) { cityComponents(filter: { near: { lng: $lng, lat: $lat, radiusMeters: 300 } }, first: 20) {
    edges { distanceMeters node { code name status } } } }`,
  variables: random.pick(spots),
}));
await hub.close();
await db.close();
