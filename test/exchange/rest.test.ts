import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runConnector } from '../../src/exchange/index.js';
import { datasetSpec, SimDataset, startRestSimulator, type RestSimulator } from '../../src/simulate/departments/index.js';
import { count, definition, exchangeDatabase, silent } from './support.js';

let hub: Awaited<ReturnType<typeof exchangeDatabase>>;
let household: RestSimulator;
let tax: RestSimulator;
const TOKEN = 'household-token';

beforeAll(async () => {
  hub = await exchangeDatabase();
  household = await startRestSimulator(new SimDataset('household-register', datasetSpec('household-register'), hub.city, 1200), { token: TOKEN });
  tax = await startRestSimulator(new SimDataset('tax-income', datasetSpec('tax-income'), hub.city, 900), { token: 'tax-token' });
});
afterAll(async () => {
  await household?.close();
  await tax?.close();
  await hub?.drop();
});

const householdEnv = () => ({ HUITONG_HOUSEHOLD_API_URL: household.url, HUITONG_HOUSEHOLD_API_TOKEN: TOKEN });
const taxEnv = () => ({ HUITONG_TAX_API_URL: tax.url, HUITONG_TAX_API_TOKEN: 'tax-token' });

describe('a rest connector against its simulated department system', () => {
  test('the household register fills the population library, with provenance, and the run adds up', async () => {
    const result = await runConnector(hub.db.pool, silent, definition('household-register', { batchSize: 250 }), { startedBy: 'test', env: householdEnv() });
    expect(result).toMatchObject({ state: 'succeeded', counts: { fetched: 1200, applied: 1200, created: 1200, unchanged: 0, quarantined: 0 } });
    expect(await count(hub.db.pool, `select count(*) n from person where valid_to is null and source_system = 'public-security/household-register'`)).toBe(1200);
    const first = household.dataset.record(0);
    const { rows } = await hub.db.pool.query(`select name, gender, birth_date::text, source_key, resource_code, resource_version from person where id_number = $1 and valid_to is null`, [first.sfzh]);
    expect(rows[0]).toMatchObject({ name: first.xm, gender: first.xb === '1' ? 'male' : 'female', source_key: first.sfzh, resource_code: 'population.person' });
  });

  test('a second run asks only for what changed since the watermark: a changed record gets a new version', async () => {
    household.dataset.change(5, { xm: '改名字' });
    const before = household.requests();
    const result = await runConnector(hub.db.pool, silent, definition('household-register', { batchSize: 250 }), { startedBy: 'test', env: householdEnv() });
    expect(result).toMatchObject({ state: 'succeeded', counts: { fetched: 1, applied: 1, changed: 1, created: 0 } });
    expect(household.requests() - before).toBe(1);
    const id = household.dataset.record(5).sfzh;
    expect(await count(hub.db.pool, 'select count(*) n from person where id_number = $1', [id])).toBe(2);
    const { rows } = await hub.db.pool.query('select name from person where id_number = $1 and valid_to is null', [id]);
    expect(rows[0].name).toBe('改名字');
  });

  test('--full rereads everything and reports no difference for an unchanged source', async () => {
    const result = await runConnector(hub.db.pool, silent, definition('household-register', { batchSize: 500 }), { startedBy: 'test', full: true, env: householdEnv() });
    expect(result).toMatchObject({ state: 'succeeded', full: true, counts: { fetched: 1200, applied: 0, unchanged: 1200, quarantined: 0 } });
  });

  test('a wrong token fails the run at once with its reason, and nothing is applied', async () => {
    const result = await runConnector(hub.db.pool, silent, definition('household-register'), { startedBy: 'test', full: true, env: { ...householdEnv(), HUITONG_HOUSEHOLD_API_TOKEN: 'wrong' } });
    expect(result.state).toBe('failed');
    expect(result.state === 'failed' && result.error).toMatch(/HTTP 401/);
  });

  test('department data goes to department_record, with errors, 429s and duplicates along the way', async () => {
    tax.setSwitches({ errorRate: 0.2, rateLimitRate: 0.2, retryAfterSeconds: 0, duplicateRate: 0.05, reorder: true, malformedRate: 0.05 });
    const def = definition('tax-income', { batchSize: 100, source: { ...(definition('tax-income').source as object), backoffMs: 1, retries: 10 } as never });
    const result = await runConnector(hub.db.pool, silent, def, { startedBy: 'test', env: taxEnv() });
    expect(result.state).toBe('succeeded');
    if (result.state !== 'succeeded') return;
    const { fetched, applied, unchanged, quarantined } = result.counts;
    expect(fetched).toBe(applied + unchanged + quarantined);
    const malformed = [...tax.dataset.all()].filter((r) => tax.malformed(r.index)).length;
    expect(malformed).toBeGreaterThan(0);
    // A malformed record served twice (the duplicate switch) is kept twice: each delivery is accounted for.
    expect(await count(hub.db.pool, `select count(distinct source_key) n from quarantine_record where run_id = $1`, [result.runId])).toBe(malformed);
    expect(quarantined).toBeGreaterThanOrEqual(malformed);
    expect(applied).toBe(900 - malformed);
    // The hub equals the source, apart from quarantine.
    const { rows } = await hub.db.pool.query<{ record_key: string; payload: Record<string, unknown> }>(
      `select record_key, payload from department_record where resource_code = 'tax.income' and valid_to is null`,
    );
    const held = new Map(rows.map((r) => [r.record_key, r.payload]));
    for (const { index, key, record } of tax.dataset.all()) {
      if (tax.malformed(index)) expect(held.has(key)).toBe(false);
      else expect(held.get(key)).toMatchObject({ idNumber: record.nsrsbh, period: record.ssq, taxableIncome: record.sre });
    }
    expect(await count(hub.db.pool, `select count(*) n from quarantine_record where connector = 'tax-income' and step = 'mapping'`)).toBe(quarantined);
    const { rows: runs } = await hub.db.pool.query(`select state, fetched::int, applied::int, unchanged::int, quarantined::int from sync_run where id = $1`, [result.runId]);
    expect(runs[0]).toEqual({ state: 'succeeded', fetched, applied, unchanged, quarantined });
  });
});
