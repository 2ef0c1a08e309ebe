/**
 * Low-income household verification (DESIGN.md §7, issue 14), in one run on the same data:
 *   1. one household of 4, all sources local, through the full hub (HTTP, JWT, purpose, audit): p50, p99
 *      (target p50 < 100 ms), and the verifier alone in-process;
 *   2. every source but the register 50 ms away (the financial-institutions lookup simulator at 50 ms over HTTP, the department
 *      sources wrapped with a 50 ms delay): p50 ÷ 50 ms, near 1 when the 11 sources are asked in
 *      parallel (their sum would be 11);
 *   3. a batch of BENCH_HOUSEHOLDS households on the job queue in this process: households/s, and
 *      the projected time for 200,000 households (Yongzhou's recipients; target < 1 hour).
 *
 *   npm run bench:verification                       # 10,000 households, 300 single checks per load
 *   BENCH_HOUSEHOLDS=1000 BENCH_CHECKS=50 npm run bench:verification
 */
import type pg from 'pg';
import { loadDevIssuer } from '../src/access/index.js';
import { readConfig } from '../src/config.js';
import { serveHub } from '../src/main.js';
import { makeIdNumber } from '../src/registries/population/index.js';
import { batchProgress, createBatch, prepareJobQueue, startBatchWorker } from '../src/verification/batch.js';
import { createLookupSources } from '../src/registries/department/index.js';
import { startLookupSimulator } from '../src/simulate/lookups/index.js';
import { loadScheme, Verifier } from '../src/verification/index.js';
import { benchDatabase, fmt, logger } from './support.js';

const HOUSEHOLDS = Number(process.env.BENCH_HOUSEHOLDS ?? 10_000);
const CHECKS = Number(process.env.BENCH_CHECKS ?? 300);
const LATENCY = 50;
const PROJECTED = 200_000;

const bench = await benchDatabase('huitong_bench_verification');
try {
  const { db } = bench;
  await prepareJobQueue(bench.url);
  process.stdout.write(`seeding ${fmt(HOUSEHOLDS)} households of 4…\n`);
  const households = await seedHouseholds(db.pool, Math.max(HOUSEHOLDS, CHECKS));
  // The financial-institutions lookup system (the hub's one financial source): nearby, and 50 ms away.
  const local = await startLookupSimulator({ generated: false });
  const remote = await startLookupSimulator({ generated: false, latencyMs: LATENCY });
  const sourcesAt = (url: string) => createLookupSources({ override: { baseUrl: url } });

  const config = readConfig({
    DATABASE_URL: bench.url, HUITONG_DATA_DIR: bench.dataDir, LOG_LEVEL: 'warn', HUITONG_MODE: 'production', HUITONG_DEV_ISSUER: 'true',
    HUITONG_RATE_LIMIT_PER_MINUTE: '100000000', HUITONG_VERIFY_WORKERS: '0',
  });
  const hub = await serveHub({ ...config, port: 0 }, logger, db, { lookups: sourcesAt(local.url) });
  const token = await (await loadDevIssuer(bench.dataDir)).sign({ department: 'civil-affairs', roles: ['consumer'], ttl: '2h' }, config.jwtAudience);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': 'low-income-verification', 'x-case-number': 'BENCH-VERIFY' };
  const query = `mutation($a: String!, $m: [String!]!) { verifyHousehold(applicant: $a, declaredMembers: $m) { reference verdict tookMs items { key outcome } } }`;
  const viaHub = async (h: Household) => {
    const res = (await (await fetch(`${hub.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables: { a: h.applicant, m: h.members } }) })).json()) as {
      data?: { verifyHousehold?: { verdict: string; items: { outcome: string }[] } }; errors?: unknown;
    };
    if (!res.data?.verifyHousehold) throw new Error(`verification failed: ${JSON.stringify(res.errors)}`);
    return res.data.verifyHousehold;
  };
  const timed = async (n: number, run: (h: Household) => Promise<unknown>) => {
    const ms: number[] = [];
    for (let i = 0; i < 20; i++) await run(households[i % households.length]); // warm-up
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await run(households[i % households.length]);
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    return { p50: ms[Math.floor(ms.length * 0.5)], p99: ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.99))] };
  };

  const sample = await viaHub(households[0]);
  process.stdout.write(`a check: ${sample.verdict}, items ${sample.items.map((i) => i.outcome).join(' ')}\n\n`);
  const full = await timed(CHECKS, viaHub);
  process.stdout.write(`1. household of 4, local sources, full hub:  p50 ${full.p50.toFixed(1)} ms  p99 ${full.p99.toFixed(1)} ms  (target p50 < 100 ms)\n`);
  const scheme = loadScheme();
  const caller = { department: 'civil-affairs', system: 'bench', purpose: scheme.purpose, caseNumber: 'BENCH-VERIFY' };
  const inProcess = new Verifier(db.pool, scheme, { lookups: sourcesAt(local.url) });
  const alone = await timed(CHECKS, (h) => inProcess.verify({ applicant: h.applicant, declaredMembers: h.members }, caller));
  process.stdout.write(`   the verifier alone (in-process, stored):  p50 ${alone.p50.toFixed(1)} ms  p99 ${alone.p99.toFixed(1)} ms\n`);

  const delay = <T>(p: Promise<T>) => new Promise<T>((resolve, reject) => setTimeout(() => p.then(resolve, reject), LATENCY));
  const slow = new Verifier(db.pool, scheme, {
    lookups: sourcesAt(remote.url),
    // The financial source is 50 ms away over real HTTP; every other source is given 50 ms too.
    wrapSource: (key, source) => (key === 'financial' ? source : { gather: (members, asOf, calls) => delay(source.gather(members, asOf, calls)) }),
  });
  const far = await timed(Math.min(CHECKS, 200), (h) => slow.verify({ applicant: h.applicant, declaredMembers: h.members }, caller));
  process.stdout.write(`2. 11 sources at ${LATENCY} ms each:  p50 ${far.p50.toFixed(1)} ms = ${(far.p50 / LATENCY).toFixed(2)} × ${LATENCY} ms  (their sum would be ${11 * LATENCY} ms)\n`);

  const batchWorker = await startBatchWorker({ pool: db.pool, verifier: inProcess, audit: hub.services.audit.log, logger, concurrency: 2, parallel: 8 });
  const started = performance.now();
  const id = await createBatch(db.pool, { name: 'bench', households: households.slice(0, HOUSEHOLDS).map((h) => ({ applicant: h.applicant, declaredMembers: h.members })), caller, chunk: 50 });
  let progress = await batchProgress(db.pool, id);
  while (progress && progress.state !== 'DONE') {
    await new Promise((r) => setTimeout(r, 500));
    progress = await batchProgress(db.pool, id);
    process.stderr.write(`\r   ${fmt(progress!.done)} / ${fmt(progress!.total)}   `);
  }
  const seconds = (performance.now() - started) / 1000;
  await batchWorker.stop();
  const total = progress?.total ?? HOUSEHOLDS;
  const rate = total / seconds;
  process.stderr.write('\n');
  process.stdout.write(`3. batch of ${fmt(total)} households: ${seconds.toFixed(1)} s, ${rate.toFixed(0)} households/s; ${fmt(PROJECTED)} households ≈ ${(PROJECTED / rate / 60).toFixed(1)} min (target < 60 min)\n`);
  process.stdout.write(`   summary: ${JSON.stringify(progress?.summary)}\n`);
  await hub.close();
  await local.close();
  await remote.close();
} finally {
  await bench.close();
}

interface Household {
  applicant: string;
  members: string[];
}

/** Households of 4 (head, spouse, two children) with a modest wage, and department records for some. */
async function seedHouseholds(pool: pg.Pool, n: number): Promise<Household[]> {
  const counties = ['431102', '431103', '431121', '431122', '431123', '431124', '431125', '431126', '431127', '431128', '431129'];
  const out: Household[] = [];
  const used = new Set<string>();
  const divisionOf = new Map<string, string>();
  const persons: unknown[][] = [];
  const homes: unknown[][] = [];
  const records: unknown[][] = [];
  for (let i = 0; i < n; i++) {
    const county = counties[i % counties.length];
    // Unique by construction: a birth day per household (from 1960), a sequence per member.
    const born = new Date(Date.UTC(1960, 0, 1 + Math.floor(i / counties.length))).toISOString().slice(0, 10);
    const ids = [0, 1, 2, 3].map((k) => makeIdNumber(county, born, 1 + k * 2, k % 2 ? 'female' : 'male'));
    if (new Set(ids).size < 4 || ids.some((id) => used.has(id))) continue;
    for (const id of ids) used.add(id);
    divisionOf.set(ids[0], county);
    const number = `BH${out.length}`;
    out.push({ applicant: ids[0], members: ids.slice(1) });
    ids.forEach((id, k) => persons.push([id, `测试${i}-${k}`, k % 2 ? 'female' : 'male', k < 2 ? '1975-01-01' : '2012-01-01', county, number, ['head', 'spouse', 'son', 'daughter'][k]]));
    if (i % 5 === 0) homes.push([`${county}004002GB${String(i % 100000).padStart(5, '0')}F${String(i).padStart(8, '0')}`, ids[0], county]);
    records.push(['hrss.contribution', `bench/${i}/c`, ids[0], { idNumber: ids[0], year: new Date().getFullYear(), insurance: 'pension', contributionBase: 900 + (i % 10) * 100 }]);
    if (i % 7 === 0) records.push(['vehicles.vehicle', `bench/${i}/v`, ids[1], { plateNumber: `湘M${String(i).padStart(5, '0')}`, ownerIdNumber: ids[1], vehicleType: 'passenger-car', brand: '五菱', registeredOn: '2020-01-01', status: 'normal' }]);
  }
  for (const resource of ['tax.income', 'hrss.pension', 'provident-fund.account', 'disabled-federation.certificate', 'civil-affairs.marriage', 'civil-affairs.assistance', 'health.medical-cost']) {
    records.push([resource, `bench/baseline/${resource}`, '431102198503120211', {}]);
  }
  const cols = (rows: unknown[][], i: number) => rows.map((r) => r[i]);
  await pool.query(
    `insert into household (number, head_id_number, address, division_code, source_system, source_key, resource_code, resource_version, fetched_at, valid_from)
     select h, id, '永州市', d, 'bench', h, 'population.household', '1', now(), '2020-01-01' from unnest($1::text[], $2::text[], $3::text[]) as t(h, id, d)`,
    [out.map((_, i) => `BH${i}`), out.map((h) => h.applicant), out.map((h) => divisionOf.get(h.applicant)!)],
  );
  await pool.query(
    `insert into person (id_number, name, gender, birth_date, ethnicity, residence_division, marital_status, status, household_number, relation_to_head,
       source_system, source_key, resource_code, resource_version, fetched_at, valid_from)
     select id, nm, g, b::date, '汉族', d, 'married', 'living', h, r, 'bench', id, 'population.person', '1', now(), '2020-01-01'
     from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) as t(id, nm, g, b, d, h, r)`,
    [0, 1, 2, 3, 4, 5, 6].map((i) => cols(persons, i)),
  );
  await pool.query(
    `with u as (insert into property_unit (unit_number, kind, usage, floor_area, address, division_code, source_system, source_key, resource_code, resource_version, fetched_at, valid_from)
       select un, 'building', 'residential', 80, '永州市', d, 'bench', un, 'property.unit', '1', now(), '2020-01-01' from unnest($1::text[], $3::text[]) as t(un, d) returning unit_number)
     insert into property_ownership (unit_number, owner_id_number, share, certificate_number, registered_on, source_system, source_key, resource_code, resource_version, fetched_at, valid_from)
     select un, o, 100, '湘(2020)永州市不动产权第0000001号', '2020-01-01', 'bench', un, 'property.ownership', '1', now(), '2020-01-01' from unnest($1::text[], $2::text[]) as t(un, o)`,
    [cols(homes, 0), cols(homes, 1), cols(homes, 2)],
  );
  await pool.query(
    `insert into department_record (resource_code, record_key, subject, payload, source_system, source_key, resource_version, fetched_at, valid_from)
     select r, k, s, p, 'bench', k, '1', now(), '2020-01-01' from unnest($1::text[], $2::text[], $3::text[], $4::jsonb[]) as t(r, k, s, p)`,
    [cols(records, 0), cols(records, 1), cols(records, 2), records.map((r) => JSON.stringify(r[3]))],
  );
  await pool.query('analyze');
  return out;
}
