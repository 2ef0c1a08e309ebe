import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listRuns, runConnector } from '../../src/exchange/index.js';
import { datasetSpec, SimDataset, startRestSimulator, type FrontDb, type RestSimulator } from '../../src/simulate/departments/index.js';
import { count, definition, exchangeDatabase, frontDatabase, silent } from './support.js';

let hub: Awaited<ReturnType<typeof exchangeDatabase>>;
let tax: RestSimulator;
let household: RestSimulator;
let front: FrontDb;

beforeAll(async () => {
  hub = await exchangeDatabase();
  tax = await startRestSimulator(new SimDataset('tax-income', datasetSpec('tax-income'), hub.city, 600), { token: 't' });
  household = await startRestSimulator(new SimDataset('household-register', datasetSpec('household-register'), hub.city, 300), { token: 'h' });
  front = await frontDatabase(hub.city, { rows: 400, tables: ['hrss_benefit'] });
});
afterAll(async () => {
  await tax?.close();
  await household?.close();
  await front?.close();
  await hub?.drop();
});

const taxDef = () => definition('tax-income', { batchSize: 100 });
const taxEnv = () => ({ HUITONG_TAX_API_URL: tax.url, HUITONG_TAX_API_TOKEN: 't' });

describe('a reconciliation (--full) notices records deleted at the source', () => {
  test('department data: the versions of records the source no longer has are closed, never deleted, with the run that closed them', async () => {
    const first = await runConnector(hub.db.pool, silent, taxDef(), { startedBy: 'test', env: taxEnv() });
    expect(first).toMatchObject({ state: 'succeeded', counts: { fetched: 600, created: 600, deleted: 0 } });
    const gone = [3, 150, 151, 420, 599].map((i) => tax.dataset.keyOf(tax.dataset.record(i)));
    for (const i of [3, 150, 151, 420, 599]) tax.dataset.remove(i);
    // Some records the source still has are now served spoiled: quarantined, but not gone.
    tax.setSwitches({ malformedRate: 0.05 });

    // An incremental run cannot tell: it reads only what changed.
    const incremental = await runConnector(hub.db.pool, silent, taxDef(), { startedBy: 'test', env: taxEnv() });
    expect(incremental).toMatchObject({ state: 'succeeded', counts: { deleted: 0 } });

    const full = await runConnector(hub.db.pool, silent, taxDef(), { startedBy: 'test', env: taxEnv(), full: true });
    expect(full.state).toBe('succeeded');
    if (full.state !== 'succeeded') return;
    expect(full.counts.deleted).toBe(5);
    expect(full.counts.quarantined).toBeGreaterThan(0);
    expect(full.counts.fetched).toBe(595);
    expect(full.counts.fetched).toBe(full.counts.applied + full.counts.unchanged + full.counts.quarantined);

    // Nothing physically deleted: 600 versions still there, 595 current (the spoiled ones keep their last good version).
    expect(await count(hub.db.pool, `select count(*) n from department_record where resource_code = 'tax.income'`)).toBe(600);
    expect(await count(hub.db.pool, `select count(*) n from department_record where resource_code = 'tax.income' and valid_to is null`)).toBe(595);
    const { rows: closed } = await hub.db.pool.query<{ record_key: string; closed_by: string }>(
      `select d.record_key, s.run_id::text as closed_by from department_record d join sync_deletion s on s.version_id = d.version_id
       where d.resource_code = 'tax.income' and d.valid_to is not null order by d.record_key`,
    );
    expect(closed.map((r) => r.record_key)).toEqual([...gone].sort());
    expect(new Set(closed.map((r) => r.closed_by))).toEqual(new Set([full.runId]));

    // The run says so, as syncRuns shows it.
    const [run] = await listRuns(hub.db.pool, 'tax-income', 1, null);
    expect(run).toMatchObject({ id: full.runId, full: true, deleted: 5 });
    // The scratch keys of the reconciliation are gone with it.
    expect(await count(hub.db.pool, 'select count(*) n from sync_seen_key')).toBe(0);

    // A second reconciliation finds nothing more to close.
    const again = await runConnector(hub.db.pool, silent, taxDef(), { startedBy: 'test', env: taxEnv(), full: true });
    expect(again).toMatchObject({ state: 'succeeded', counts: { deleted: 0, created: 0, changed: 0 } });
  });

  test('a base library (the household register feeding person): only that connector\'s current versions are closed', async () => {
    const def = definition('household-register', { batchSize: 64 });
    const env = { HUITONG_HOUSEHOLD_API_URL: household.url, HUITONG_HOUSEHOLD_API_TOKEN: 'h' };
    expect(await runConnector(hub.db.pool, silent, def, { startedBy: 'test', env })).toMatchObject({ state: 'succeeded', counts: { created: 300 } });
    const others = await count(hub.db.pool, `select count(*) n from person where valid_to is null and source_system is distinct from 'public-security/household-register'`);
    const id = household.dataset.record(17).sfzh as string;
    household.dataset.remove(17);
    const full = await runConnector(hub.db.pool, silent, def, { startedBy: 'test', env, full: true });
    expect(full).toMatchObject({ state: 'succeeded', counts: { fetched: 299, unchanged: 299, deleted: 1 } });
    expect(await count(hub.db.pool, `select count(*) n from person where id_number = $1 and valid_to is null`, [id])).toBe(0);
    expect(await count(hub.db.pool, `select count(*) n from person where id_number = $1`, [id])).toBe(1);
    expect(await count(hub.db.pool, `select count(*) n from sync_deletion where subject = $1 and target_table = 'person' and run_id = $2`, [id, full.runId])).toBe(1);
    // Persons the hub holds from elsewhere (its own seeding) are not this connector's to close.
    expect(await count(hub.db.pool, `select count(*) n from person where valid_to is null and source_system is distinct from 'public-security/household-register'`)).toBe(others);
  });

  test('a front-end database: rows deleted from the exchange table are closed by the next reconciliation', async () => {
    const def = definition('hrss-pension', { batchSize: 70 });
    const env = { HUITONG_FRONTDB_URL: front.url };
    expect(await runConnector(hub.db.pool, silent, def, { startedBy: 'test', env })).toMatchObject({ state: 'succeeded', counts: { created: 400 } });
    const c = new pg.Client(front.url);
    await c.connect();
    const { rows } = await c.query<{ k: string }>(`delete from hrss_benefit where ctid in (select ctid from hrss_benefit order by sfzh limit 4) returning concat_ws('|', sfzh, ffyf, dylx) as k`);
    await c.end();
    const full = await runConnector(hub.db.pool, silent, def, { startedBy: 'test', env, full: true });
    expect(full).toMatchObject({ state: 'succeeded', counts: { fetched: 396, deleted: 4 } });
    const { rows: closed } = await hub.db.pool.query<{ record_key: string }>(
      `select record_key from department_record where resource_code = 'hrss.pension' and valid_to is not null order by record_key`,
    );
    expect(closed.map((r) => r.record_key)).toEqual(rows.map((r) => r.k).sort());
  });
});
