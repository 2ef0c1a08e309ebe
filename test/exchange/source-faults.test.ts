import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mapRecord, runConnector, type ConnectorDefinition, type RunResult } from '../../src/exchange/index.js';
import { datasetSpec, dropFileSlowly, isMalformed, writeDropFile, type FrontDb } from '../../src/simulate/departments/index.js';
import { count, definition, exchangeDatabase, frontDatabase, silent } from './support.js';

let hub: Awaited<ReturnType<typeof exchangeDatabase>>;
let front: FrontDb;
let drop: string;
const ROWS = 600;
const MALFORMED = 0.05;

beforeAll(async () => {
  hub = await exchangeDatabase();
  // 5% malformed, 2% of rows stored twice (no primary key), rows shuffled and sharing stamps in groups of eight.
  front = await frontDatabase(hub.city, { rows: ROWS, tables: ['hrss_benefit'], malformedRate: MALFORMED, duplicateRate: 0.02, reorder: true });
  drop = await mkdtemp(path.join(tmpdir(), 'huitong-drop-faults-'));
});
afterAll(async () => {
  await front?.close();
  await hub?.drop();
  await rm(drop, { recursive: true, force: true });
});

const addsUp = async (connector: string) => {
  const { rows } = await hub.db.pool.query(`select fetched::int, applied::int, unchanged::int, quarantined::int from sync_run where connector = $1`, [connector]);
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) expect(r.fetched).toBe(r.applied + r.unchanged + r.quarantined);
};

/** The hub holds exactly the source's good records, each once, as the mapping makes them; the spoiled ones are in quarantine. */
async function hubEqualsSource(d: ConnectorDefinition, dataset: string, indexes: number[], asText: boolean) {
  const spec = datasetSpec(dataset);
  const { rows } = await hub.db.pool.query<{ record_key: string; payload: Record<string, unknown>; versions: string }>(
    `select record_key, payload, count(*) over (partition by record_key) versions from department_record where resource_code = $1 and valid_to is null`,
    [d.resource],
  );
  const held = new Map(rows.map((r) => [r.record_key, r]));
  const quarantined = new Set((await hub.db.pool.query<{ source_key: string }>(`select source_key from quarantine_record where connector = $1`, [d.id])).rows.map((r) => r.source_key));
  let good = 0;
  for (const i of indexes) {
    const r = spec.record(i, hub.city);
    const key = spec.key.map((k) => String(r[k])).join('|');
    if (isMalformed(i, MALFORMED, hub.city.seed)) {
      expect(held.has(key), key).toBe(false);
      expect(quarantined.has(key), key).toBe(true);
      continue;
    }
    const raw = asText ? Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? '' : String(v)])) : r;
    const mapped = mapRecord(raw, d.mapping!);
    expect(mapped.ok).toBe(true);
    expect(held.get(key)?.payload, key).toEqual(mapped.ok && mapped.record);
    expect(held.get(key)?.versions).toBe('1');
    good++;
  }
  expect(held.size).toBe(good);
}

describe('fault switches of the front-end database: duplicates, shared stamps in shuffled order, an outage mid-read', () => {
  const def = (retries: number) => definition('hrss-pension', { batchSize: 50, source: { ...(definition('hrss-pension').source as object), retries, backoffMs: 20 } as never });
  const env = () => ({ HUITONG_FRONTDB_URL: front.url });

  test('an outage longer than the retries fails the run keeping what committed; one shorter is ridden out; nothing lost, nothing twice', async () => {
    let batches = 0;
    const first = await runConnector(hub.db.pool, silent, def(2), {
      startedBy: 'test',
      env: env(),
      progress: () => {
        // The role's sessions are cut, mid-run, and it may not log in again for a while.
        if (++batches === 3) void front.setSwitches({ down: true });
      },
    });
    expect(first.state).toBe('failed');
    expect(first.state === 'failed' && first.error).toMatch(/after 3 attempts/);
    const kept = first.state === 'failed' ? first.counts.applied : 0;
    expect(kept).toBeGreaterThan(0);
    expect(await count(hub.db.pool, `select count(*) n from department_record where resource_code = 'hrss.pension'`)).toBe(kept);
    await front.setSwitches({ down: false });

    // The next run resumes at the watermark; a short outage inside it is retried through.
    batches = 0;
    let restored: Promise<unknown> = Promise.resolve();
    const second: RunResult = await runConnector(hub.db.pool, silent, def(6), {
      startedBy: 'test',
      env: env(),
      progress: () => {
        if (++batches === 2) restored = front.setSwitches({ down: true }).then(() => new Promise((r) => setTimeout(r, 150))).then(() => front.setSwitches({ down: false }));
      },
    });
    await restored;
    expect(second.state).toBe('succeeded');
    await addsUp('hrss-pension');
    await hubEqualsSource(def(0), 'hrss-pension', Array.from({ length: ROWS }, (_, i) => i), false);

    // The operator's proof: a reconciliation finds nothing to apply and nothing gone.
    const full = await runConnector(hub.db.pool, silent, def(2), { startedBy: 'test', env: env(), full: true });
    expect(full).toMatchObject({ state: 'succeeded', counts: { created: 0, changed: 0, deleted: 0 } });
    expect(full.state === 'succeeded' && full.counts.fetched).toBeGreaterThan(ROWS);
  });

  test('the front-end database is a simulator whose down switch is checked', async () => {
    await expect(front.setSwitches({ slow: 1 })).rejects.toThrow(/unknown switch/);
    await expect(front.setSwitches({ down: 'yes' })).rejects.toThrow(/true or false/);
    expect(front.switches.down).toBe(false);
  });
});

describe('fault switches of the drop folder: duplicates, shuffled rows, a truncated file, one still being copied, a GBK export', () => {
  const folder = () => path.join(drop, 'health-medical-cost');
  const env = () => ({ HUITONG_DROP_DIR: drop });
  const def = (source: Record<string, unknown> = {}) => definition('health-medical-cost', { batchSize: 40, source: { ...(definition('health-medical-cost').source as object), ...source } as never });
  const range = (from: number, n: number) => Array.from({ length: n }, (_, k) => from + k);

  test('duplicated and shuffled rows: each record applied once, duplicates counted unchanged', async () => {
    await writeDropFile(folder(), 'medical-costs', hub.city, { format: 'csv', from: 0, rows: 150, malformedRate: MALFORMED, duplicateRate: 0.05, reorder: true });
    const run = await runConnector(hub.db.pool, silent, def(), { startedBy: 'test', env: env() });
    expect(run.state).toBe('succeeded');
    const dups = range(0, 150).filter((i) => isMalformed(i, 0.05, hub.city.seed + 1)).length;
    expect(dups).toBeGreaterThan(0);
    expect(run.state === 'succeeded' && run.counts.fetched).toBe(150 + dups);
    await hubEqualsSource(def(), 'medical-costs', range(0, 150), true);
  });

  test('a truncated file: its whole rows applied, the cut one quarantined; the complete file dropped again fills the rest', async () => {
    const cut = await writeDropFile(folder(), 'medical-costs', hub.city, { format: 'csv', from: 150, rows: 100, malformedRate: MALFORMED, truncateAt: 0.55, name: 'costs-150.csv' });
    const run = await runConnector(hub.db.pool, silent, def(), { startedBy: 'test', env: env() });
    expect(run.state).toBe('succeeded');
    expect(existsSync(cut)).toBe(false);
    expect(run.state === 'succeeded' && run.counts.fetched).toBeLessThan(100);
    // The row the copy cut (the file ends without a line end) is held at parse, whatever its width.
    expect(await count(hub.db.pool, `select count(*) n from quarantine_record where run_id = $1 and step = 'parse'`, [run.runId])).toBe(1);
    await writeDropFile(folder(), 'medical-costs', hub.city, { format: 'csv', from: 150, rows: 100, malformedRate: MALFORMED, name: 'costs-150-complete.csv' });
    expect(await runConnector(hub.db.pool, silent, def(), { startedBy: 'test', env: env() })).toMatchObject({ state: 'succeeded' });
    await hubEqualsSource(def(), 'medical-costs', range(0, 250), true);
  });

  test('a file still being copied in is left for the next run, then taken whole', async () => {
    const slow = await dropFileSlowly(folder(), 'medical-costs', hub.city, { format: 'csv', from: 250, rows: 100, malformedRate: MALFORMED, durationMs: 1500, chunks: 30 });
    const during = await runConnector(hub.db.pool, silent, def({ settleMs: 300 }), { startedBy: 'test', env: env() });
    expect(during).toMatchObject({ state: 'succeeded', counts: { fetched: 0 } });
    expect(existsSync(slow.file)).toBe(true);
    await slow.done;
    // Time passes: the copy is finished and old enough not to be looked at twice.
    const past = new Date(Date.now() - 60_000);
    await utimes(slow.file, past, past);
    const after = await runConnector(hub.db.pool, silent, def({ settleMs: 300 }), { startedBy: 'test', env: env() });
    expect(after).toMatchObject({ state: 'succeeded', counts: { fetched: 100 } });
    expect(await count(hub.db.pool, `select count(*) n from quarantine_record where connector = 'health-medical-cost' and step = 'parse'`)).toBeLessThanOrEqual(1);
    await hubEqualsSource(def(), 'medical-costs', range(0, 350), true);
  });

  test('a GBK export is rejected while the definition says UTF-8 (never applied garbled), and read right once it says gb18030', async () => {
    await writeDropFile(folder(), 'medical-costs', hub.city, { format: 'csv', from: 350, rows: 60, malformedRate: MALFORMED, encoding: 'gb18030', name: 'gbk.csv' });
    const wrong = await runConnector(hub.db.pool, silent, def(), { startedBy: 'test', env: env() });
    expect(wrong).toMatchObject({ state: 'succeeded', counts: { fetched: 0 } });
    const report = JSON.parse(await readFile(path.join(folder(), 'rejected', 'gbk.csv.report.json'), 'utf8'));
    expect(report.reason).toMatch(/not valid UTF-8/);

    // The operator fixes the definition and drops the rejected file back.
    const { rename } = await import('node:fs/promises');
    await rename(path.join(folder(), 'rejected', 'gbk.csv'), path.join(folder(), 'gbk.csv'));
    const right = await runConnector(hub.db.pool, silent, def({ encoding: 'gb18030' }), { startedBy: 'test', env: env() });
    expect(right).toMatchObject({ state: 'succeeded', counts: { fetched: 60 } });
    expect(await readdir(path.join(folder(), 'done'))).toContain('gbk.csv');
    await hubEqualsSource(def(), 'medical-costs', range(0, 410), true);
    const good = range(350, 60).find((i) => !isMalformed(i, MALFORMED, hub.city.seed))!;
    const { rows } = await hub.db.pool.query(`select payload ->> 'hospital' as h from department_record where resource_code = 'health.medical-cost' and record_key = $1`, [`YB${String(good).padStart(10, '0')}`]);
    expect(rows[0].h).toBe('永州市中心医院');
    await addsUp('health-medical-cost');
  });
});
