import { afterAll, beforeAll, expect, test } from 'vitest';
import { runConnector } from '../../src/exchange/index.js';
import { datasetSpec, SimDataset, startRestSimulator, type RestSimulator } from '../../src/simulate/departments/index.js';
import { count, definition, exchangeDatabase, silent } from './support.js';

let hub: Awaited<ReturnType<typeof exchangeDatabase>>;
let sim: RestSimulator;
const TOTAL = 2000;

beforeAll(async () => {
  hub = await exchangeDatabase();
  sim = await startRestSimulator(new SimDataset('hrss-contribution', datasetSpec('hrss-contribution'), hub.city, TOTAL), {
    apiKey: 'k',
    // 5% malformed, 1% duplicates, shuffled pages, and an outage after the 6th request longer than the retries last.
    switches: { malformedRate: 0.05, duplicateRate: 0.01, reorder: true, outageAfter: 6, outageRequests: 5, errorRate: 0.05 },
  });
});
afterAll(async () => {
  await sim?.close();
  await hub?.drop();
});

const def = () => definition('hrss-contribution', { batchSize: 100, source: { ...(definition('hrss-contribution').source as object), retries: 3, backoffMs: 1 } as never });
const env = () => ({ HUITONG_HRSS_API_URL: sim.url, HUITONG_HRSS_API_API_KEY: 'k' });

test('with malformed records, duplicates and an outage mid-run, every run adds up and the hub ends equal to the source apart from quarantine', async () => {
  const first = await runConnector(hub.db.pool, silent, def(), { startedBy: 'test', env: env() });
  expect(first.state).toBe('failed');
  expect(first.state === 'failed' && first.error).toMatch(/HTTP 503 after 4 attempts/);
  const kept = first.state === 'failed' ? first.counts.applied : 0;
  expect(kept).toBeGreaterThan(0);
  expect(await count(hub.db.pool, `select count(*) n from department_record where resource_code = 'hrss.contribution'`)).toBe(kept);

  // The outage is over: the next run resumes where the failed one committed.
  const second = await runConnector(hub.db.pool, silent, def(), { startedBy: 'test', env: env() });
  expect(second.state).toBe('succeeded');

  const { rows: runs } = await hub.db.pool.query(`select fetched::int, applied::int, unchanged::int, quarantined::int from sync_run where connector = 'hrss-contribution'`);
  for (const r of runs) expect(r.fetched).toBe(r.applied + r.unchanged + r.quarantined);

  const { rows } = await hub.db.pool.query<{ record_key: string; payload: Record<string, unknown>; versions: string }>(
    `select record_key, payload, count(*) over (partition by record_key) versions from department_record where resource_code = 'hrss.contribution'`,
  );
  const held = new Map(rows.map((r) => [r.record_key, r]));
  const quarantined = new Set(
    (await hub.db.pool.query<{ source_key: string }>(`select distinct source_key from quarantine_record where connector = 'hrss-contribution'`)).rows.map((r) => r.source_key),
  );
  let agreed = 0;
  for (const { index, key, record } of sim.dataset.all()) {
    if (sim.malformed(index)) {
      expect(quarantined.has(key)).toBe(true);
      expect(held.has(key)).toBe(false);
    } else {
      const h = held.get(key);
      expect(h?.versions).toBe('1');
      expect(h?.payload).toEqual({ idNumber: record.sfzh, year: record.nd, insurance: record.xz, contributionBase: record.jfjs, employerCreditCode: null });
      agreed++;
    }
  }
  expect(held.size).toBe(agreed);
  expect(quarantined.size).toBe(TOTAL - agreed);
}, 60_000);
