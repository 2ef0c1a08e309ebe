import { afterAll, beforeAll, expect, test } from 'vitest';
import { runConnector } from '../../src/exchange/index.js';
import { householdsByNumber, membersOfHouseholds } from '../../src/registries/population/queries.js';
import { datasetSpec, SimDataset, startRestSimulator, type RestSimulator } from '../../src/simulate/departments/index.js';
import { count, definition, exchangeDatabase, silent } from './support.js';

let hub: Awaited<ReturnType<typeof exchangeDatabase>>;
let register: RestSimulator;

beforeAll(async () => {
  hub = await exchangeDatabase();
  register = await startRestSimulator(new SimDataset('household-register', datasetSpec('household-register'), hub.city, 240), { token: 'r' });
});
afterAll(async () => {
  await register?.close();
  await hub?.drop();
});

const env = () => ({ HUITONG_HOUSEHOLD_API_URL: register.url, HUITONG_HOUSEHOLD_API_TOKEN: 'r' });

test('the household register feeds the household table through the same runtime, and the population library links persons to their households', async () => {
  const households = await runConnector(hub.db.pool, silent, definition('household-register-households', { batchSize: 50 }), { startedBy: 'test', env: env() });
  expect(households).toMatchObject({ state: 'succeeded', counts: { fetched: 240, created: 240, quarantined: 0 } });
  const persons = await runConnector(hub.db.pool, silent, definition('household-register', { batchSize: 50 }), { startedBy: 'test', env: env() });
  expect(persons).toMatchObject({ state: 'succeeded', counts: { created: 240 } });

  const r = register.dataset.record(5);
  const { rows } = await hub.db.pool.query(
    `select number, head_id_number, address, division_code, source_system, source_key, resource_code from household where number = $1 and valid_to is null`,
    [r.hh],
  );
  expect(rows[0]).toEqual({ number: r.hh, head_id_number: r.sfzh, address: r.zz, division_code: r.hjdz_qh, source_system: 'public-security/household-register', source_key: r.sfzh, resource_code: 'population.household' });

  // As the contract reads them: the household by its number, and its members with the head first.
  const found = await householdsByNumber(hub.db.pool, [r.hh as string], null);
  expect(found.get(r.hh as string)).toMatchObject({ number: r.hh, headIdNumber: r.sfzh, divisionCode: r.hjdz_qh });
  const members = await membersOfHouseholds(hub.db.pool, [r.hh as string], null);
  expect(members.map((m) => m.idNumber)).toEqual([r.sfzh]);

  // A move: the household's address changes at the source; a new version, the old one closed.
  register.dataset.change(5, { zz: '湖南省永州市新址1号' });
  const again = await runConnector(hub.db.pool, silent, definition('household-register-households', { batchSize: 50 }), { startedBy: 'test', env: env() });
  expect(again).toMatchObject({ state: 'succeeded', counts: { fetched: 1, changed: 1 } });
  expect(await count(hub.db.pool, `select count(*) n from household where number = $1`, [r.hh])).toBe(2);
  expect(await count(hub.db.pool, `select count(*) n from household where number = $1 and valid_to is null and address = '湖南省永州市新址1号'`, [r.hh])).toBe(1);

  // And a reconciliation agrees with the register.
  const full = await runConnector(hub.db.pool, silent, definition('household-register-households', { batchSize: 50 }), { startedBy: 'test', env: env(), full: true });
  expect(full).toMatchObject({ state: 'succeeded', counts: { fetched: 240, unchanged: 240, deleted: 0 } });
});
