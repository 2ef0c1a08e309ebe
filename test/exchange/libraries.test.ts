import { afterAll, beforeAll, expect, test } from 'vitest';
import { runConnector } from '../../src/exchange/index.js';
import { datasetSpec, SimDataset, startRestSimulator, type FrontDb, type RestSimulator } from '../../src/simulate/departments/index.js';
import { count, definition, exchangeDatabase, frontDatabase, silent } from './support.js';

let hub: Awaited<ReturnType<typeof exchangeDatabase>>;
let enterprises: RestSimulator;
let components: RestSimulator;
let front: FrontDb;

beforeAll(async () => {
  hub = await exchangeDatabase();
  enterprises = await startRestSimulator(new SimDataset('enterprise-register', datasetSpec('enterprise-register'), hub.city, 300), { apiKey: 'e' });
  components = await startRestSimulator(new SimDataset('grid-components', datasetSpec('grid-components'), hub.city, 300), { token: 'g' });
  front = await frontDatabase(hub.city, { rows: 300, tables: ['bdc_unit'] });
});
afterAll(async () => {
  await enterprises?.close();
  await components?.close();
  await front?.close();
  await hub?.drop();
});

test('the enterprise register feeds the legal-entity library, its codes looked up in code tables', async () => {
  const result = await runConnector(hub.db.pool, silent, definition('enterprise-register'), { startedBy: 'test', env: { HUITONG_ENTERPRISE_API_URL: enterprises.url, HUITONG_ENTERPRISE_API_API_KEY: 'e' } });
  expect(result.state === 'succeeded' && result.counts).toMatchObject({ fetched: 300, applied: 300, quarantined: 0 });
  const r = enterprises.dataset.record(10);
  const { rows } = await hub.db.pool.query(`select kind, status, registered_capital::float8 as capital from legal_entity where credit_code = $1 and valid_to is null`, [r.tyshxydm]);
  expect(rows[0]).toEqual({ kind: 'cooperative', status: 'in_business', capital: r.zczb });
  const again = await runConnector(hub.db.pool, silent, definition('enterprise-register'), { startedBy: 'test', full: true, env: { HUITONG_ENTERPRISE_API_URL: enterprises.url, HUITONG_ENTERPRISE_API_API_KEY: 'e' } });
  expect(again.state === 'succeeded' && again.counts).toMatchObject({ fetched: 300, unchanged: 300 });
});

test('the real-estate front-end database feeds property units; a grid system feeds city components (a point from lng/lat)', async () => {
  const units = await runConnector(hub.db.pool, silent, definition('real-estate-registry'), { startedBy: 'test', env: { HUITONG_FRONTDB_URL: front.url } });
  expect(units.state === 'succeeded' && units.counts).toMatchObject({ fetched: 300, applied: 300, quarantined: 0 });
  expect(await count(hub.db.pool, `select count(*) n from property_unit where source_system = 'natural-resources/real-estate-registry' and valid_to is null`)).toBe(300);
  const env = { HUITONG_GRID_LST_API_URL: components.url, HUITONG_GRID_LST_API_TOKEN: 'g' };
  const comps = await runConnector(hub.db.pool, silent, definition('grid-lengshuitan-components'), { startedBy: 'test', env });
  expect(comps.state === 'succeeded' && comps.counts).toMatchObject({ fetched: 300, applied: 300, quarantined: 0 });
  const c = components.dataset.record(3);
  const { rows } = await hub.db.pool.query(`select category, location[0] as lng, location[1] as lat from city_component where code = $1 and valid_to is null`, [c.bsm]);
  expect(rows[0]).toEqual({ category: String(c.xl).slice(0, 2), lng: c.jd, lat: c.wd });
  components.dataset.change(3, { zt: 'damaged' });
  const changed = await runConnector(hub.db.pool, silent, definition('grid-lengshuitan-components'), { startedBy: 'test', env });
  expect(changed.state === 'succeeded' && changed.counts).toMatchObject({ fetched: 1, changed: 1 });
  const { rows: versions } = await hub.db.pool.query(`select status from city_component where code = $1 order by valid_from`, [c.bsm]);
  expect(versions.map((v) => v.status)).toEqual(['normal', 'damaged']);
});
