/**
 * Prefill of the low-income assistance application for households of four, sources local (base
 * libraries and department records in the hub's PostgreSQL), through the full stack (token,
 * purpose, field guard, audit entry committed, seal signed): single-request latency (p50/p99, one
 * at a time), then prefills/s at 16 connections, beside a plain `person(idNumber:)` look-up
 * measured in the same run for scale.
 *
 *   npm run bench:prefill
 *   BENCH_PERSONS=20000 BENCH_SECONDS=10 BENCH_CONNECTIONS=16 BENCH_SAMPLES=300 npm run bench:prefill
 */
import { loadDevIssuer } from '../src/access/index.js';
import { readConfig } from '../src/config.js';
import { serveHub } from '../src/main.js';
import { grantAccess, grantDemoAccess, seedCity } from '../src/simulate/index.js';
import { DEPARTMENT_DECLARATIONS, FORM_GRANTS } from '../test/prefill/support.js';
import { benchDatabase, fmt, load, logger } from './support.js';

const PERSONS = Number(process.env.BENCH_PERSONS ?? 20_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 300);
const SUBJECTS = 200;

const PREFILL = `query Prefill($subject: String!) { prefillForm(form: "low-income-assistance", subject: $subject) {
  subject seal fields { name value status locked source { resource system asOf recordVersion } } } }`;
const PERSON = 'query Person($id: String!) { person(idNumber: $id) { idNumber name birthDate } }';

const bench = await benchDatabase('bench_prefill');
try {
  const started = Date.now();
  await seedCity(bench.db.pool, { persons: PERSONS, seed: 15 });
  const config = readConfig({
    DATABASE_URL: bench.url,
    HUITONG_DATA_DIR: bench.dataDir,
    HUITONG_DEV_ISSUER: 'true',
    HUITONG_RATE_LIMIT_PER_MINUTE: '100000000',
    LOG_LEVEL: 'warn',
    PORT: '0',
  });
  const hub = await serveHub(config, logger, bench.db);
  try {
    const issuer = await loadDevIssuer(bench.dataDir);
    const admin = await issuer.sign({ department: 'data-bureau', roles: ['catalog-admin'], system: 'bench' }, config.jwtAudience);
    for (const r of DEPARTMENT_DECLARATIONS) {
      if (hub.services.catalog.resource(r.code)) continue;
      const res = await fetch(`${hub.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ query: 'mutation ($r: ResourceInput!) { registerResource(resource: $r, reason: "bench") { code } }', variables: { r } }),
      });
      const body = (await res.json()) as { errors?: unknown };
      if (body.errors) throw new Error(`registering ${r.code}: ${JSON.stringify(body.errors)}`);
    }
    await grantDemoAccess(bench.db.pool);
    await grantAccess(bench.db.pool, FORM_GRANTS.filter((g) => g.consumer === 'civil-affairs'));
    await hub.services.catalog.reload();

    // Heads of households of four, each with two vehicles and a provident-fund account.
    const { rows } = await bench.db.pool.query<{ id: string }>(
      `select p.id_number as id from person p where p.valid_to is null and p.relation_to_head = 'head'
          and (select count(*) from person m where m.household_number = p.household_number and m.valid_to is null) = 4
        limit ${SUBJECTS}`,
    );
    if (!rows.length) throw new Error('no household of four in the synthetic city');
    await bench.db.pool.query(
      `insert into department_record (resource_code, record_key, subject, payload, source_system, source_key, resource_version, fetched_at)
       select 'vehicles.vehicle', s.id || '-' || n, s.id, jsonb_build_object('ownerIdNumber', s.id, 'plateNumber', '湘M' || n || right(s.id, 4), 'vehicleType', '小型轿车'),
              'public-security.vehicle-registry', s.id || '-' || n, '1', now()
         from unnest($1::text[]) as s(id), generate_series(1, 2) as n
       union all
       select 'provident-fund.account', 'GJJ-' || s.id, s.id, jsonb_build_object('idNumber', s.id, 'accountNumber', 'GJJ' || right(s.id, 7), 'contributionBase', 4200, 'monthlyDeposit', 504, 'balance', 30000),
              'provident-fund.accounts', 'GJJ-' || s.id, '1', now()
         from unnest($1::text[]) as s(id)`,
      [rows.map((r) => r.id)],
    );
    const token = await issuer.sign({ department: 'civil-affairs', roles: ['consumer'], system: 'bench' }, config.jwtAudience);
    const headers = { authorization: `Bearer ${token}`, 'x-purpose': 'low-income-verification', 'x-case-number': 'BENCH-PREFILL' };
    console.log(`setup: ${fmt(PERSONS)} persons, ${rows.length} households of 4, ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // One at a time: the latency of a prefill on an idle hub.
    const check = await post(hub.url, headers, PREFILL, { subject: rows[0].id });
    const fields = check.data?.prefillForm?.fields as { status: string }[] | undefined;
    if (!fields) throw new Error(`prefill failed: ${JSON.stringify(check.errors)}`);
    const prefilled = fields.filter((f) => f.status === 'prefilled').length;
    for (let i = 0; i < 20; i++) await post(hub.url, headers, PREFILL, { subject: rows[i % rows.length].id });
    const times: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const t = performance.now();
      await post(hub.url, headers, PREFILL, { subject: rows[i % rows.length].id });
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))];

    const prefillBodies = rows.map((r) => JSON.stringify({ query: PREFILL, variables: { subject: r.id } }));
    const personBodies = rows.map((r) => JSON.stringify({ query: PERSON, variables: { id: r.id } }));
    const loaded = await load(`${hub.url}/graphql`, prefillBodies, headers, SECONDS, CONNECTIONS);
    const lookups = await load(`${hub.url}/graphql`, personBodies, headers, SECONDS, CONNECTIONS);

    console.log(`form: low-income-assistance, ${fields.length} fields (${prefilled} prefilled), household of 4, 2 vehicles, provident fund`);
    console.log(`single prefill (one at a time, ${SAMPLES} samples): p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms (target p50 < 100 ms)`);
    console.log(`at ${CONNECTIONS} connections: ${fmt(loaded.requestsPerSecond)} prefills/s, p50 ${loaded.p50} ms, p99 ${loaded.p99} ms, errors ${loaded.errors}, non-2xx ${loaded.non2xx}`);
    console.log(`same run, person(idNumber:) look-up at ${CONNECTIONS} connections: ${fmt(lookups.requestsPerSecond)} req/s, p99 ${lookups.p99} ms`);
    console.log(`prefill: p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, ${fmt(loaded.requestsPerSecond)} prefills/s at ${CONNECTIONS} connections (${(loaded.requestsPerSecond / lookups.requestsPerSecond).toFixed(2)} × a person look-up)`);
  } finally {
    await hub.close();
  }
} finally {
  await bench.close();
}

async function post(url: string, headers: Record<string, string>, query: string, variables: Record<string, unknown>): Promise<{ data?: any; errors?: unknown }> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: any; errors?: unknown };
}
