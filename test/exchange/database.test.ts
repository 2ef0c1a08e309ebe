import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runConnector } from '../../src/exchange/index.js';
import { datasetSpec, isMalformed, type FrontDb } from '../../src/simulate/departments/index.js';
import { count, definition, exchangeDatabase, frontDatabase, silent } from './support.js';

let hub: Awaited<ReturnType<typeof exchangeDatabase>>;
let front: FrontDb;
const ROWS = 700;
const RATE = 0.04;

beforeAll(async () => {
  hub = await exchangeDatabase();
  front = await frontDatabase(hub.city, { rows: ROWS, tables: ['hrss_benefit'], malformedRate: RATE });
  // 250 rows share one change stamp, across several batches: keyset paging must skip none of them.
  const c = new pg.Client(front.url);
  await c.connect();
  await c.query(`update hrss_benefit set gxsj = '2026-01-01T00:03:00Z' where gxsj between '2026-01-01T00:01:40Z' and '2026-01-01T00:05:49Z'`);
  await c.end();
});
afterAll(async () => {
  await front?.close();
  await hub?.drop();
});

const env = () => ({ HUITONG_FRONTDB_URL: front.url });

describe('a database connector reading a front-end exchange database (前置库)', () => {
  test('reads every row by (change stamp, key), ties across batches included; the hub equals the source apart from quarantine', async () => {
    const result = await runConnector(hub.db.pool, silent, definition('hrss-pension', { batchSize: 100 }), { startedBy: 'test', env: env() });
    expect(result.state).toBe('succeeded');
    const spec = datasetSpec('hrss-pension');
    const malformed = Array.from({ length: ROWS }, (_, i) => i).filter((i) => isMalformed(i, RATE, hub.city.seed));
    expect(malformed.length).toBeGreaterThan(0);
    expect(result.state === 'succeeded' && result.counts).toMatchObject({ fetched: ROWS, applied: ROWS - malformed.length, quarantined: malformed.length, unchanged: 0 });
    const { rows } = await hub.db.pool.query<{ record_key: string; payload: { amount: number } }>(
      `select record_key, payload from department_record where resource_code = 'hrss.pension' and valid_to is null`,
    );
    const held = new Map(rows.map((r) => [r.record_key, r.payload]));
    expect(held.size).toBe(ROWS - malformed.length);
    for (let i = 0; i < ROWS; i++) {
      const r = spec.record(i, hub.city);
      const key = `${r.sfzh}|${r.ffyf}|${r.dylx}`;
      if (malformed.includes(i)) expect(held.has(key)).toBe(false);
      else expect(held.get(key)?.amount).toBe(r.je);
    }
    const { rows: q } = await hub.db.pool.query(`select step, errors, payload from quarantine_record where run_id = $1 limit 1`, [result.runId]);
    expect(q[0].step).toBe('mapping');
    expect(q[0].errors[0]).toMatch(/amount/);
    expect(q[0].payload.je).toBe('abc');
  });

  test('the next run reads only rows changed since: a changed amount is a new version', async () => {
    const r = datasetSpec('hrss-pension').record(3, hub.city);
    await front.change('hrss_benefit', { sfzh: String(r.sfzh), ffyf: String(r.ffyf), dylx: String(r.dylx) }, { je: '4321.5' });
    const result = await runConnector(hub.db.pool, silent, definition('hrss-pension', { batchSize: 100 }), { startedBy: 'test', env: env() });
    expect(result.state === 'succeeded' && result.counts).toMatchObject({ fetched: 1, applied: 1, changed: 1 });
    const key = `${r.sfzh}|${r.ffyf}|${r.dylx}`;
    expect(await count(hub.db.pool, `select count(*) n from department_record where resource_code = 'hrss.pension' and record_key = $1`, [key])).toBe(2);
  });

  test('an unreachable front-end database fails the run with its reason', async () => {
    const result = await runConnector(hub.db.pool, silent, definition('hrss-pension'), { startedBy: 'test', env: { HUITONG_FRONTDB_URL: 'postgres://nobody:x@127.0.0.1:1/none' } });
    expect(result.state).toBe('failed');
    expect(result.state === 'failed' && result.error).toMatch(/unreachable/);
  });
});
