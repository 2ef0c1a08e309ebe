import { afterAll, beforeAll, expect, test } from 'vitest';
import { runConnector } from '../../src/exchange/index.js';
import { datasetSpec, SimDataset, startRestSimulator, type RestSimulator } from '../../src/simulate/departments/index.js';
import { count, definition, exchangeDatabase, silent } from './support.js';

let hub: Awaited<ReturnType<typeof exchangeDatabase>>;
let tax: RestSimulator;

beforeAll(async () => {
  hub = await exchangeDatabase();
  tax = await startRestSimulator(new SimDataset('tax-income', datasetSpec('tax-income'), hub.city, 3000), { token: 't' });
});
afterAll(async () => {
  await tax?.close();
  await hub?.drop();
});

test('a run refreshes the statistics of the table it grows, as the runtime role (MAINTAIN), so each key stays one index probe', async () => {
  const { rows: me } = await hub.db.pool.query<{ owner: boolean }>(`select pg_has_role(current_user, relowner, 'USAGE') as owner from pg_class where relname = 'department_record'`);
  expect(me[0].owner).toBe(false);
  const run = await runConnector(hub.db.pool, silent, definition('tax-income', { batchSize: 500 }), { startedBy: 'test', env: { HUITONG_TAX_API_URL: tax.url, HUITONG_TAX_API_TOKEN: 't' } });
  expect(run).toMatchObject({ state: 'succeeded', counts: { created: 3000 } });
  // Analysed once the run had written more than the 2,000 rows of the first threshold.
  expect(await count(hub.db.pool, `select reltuples::bigint n from pg_class where relname = 'department_record'`)).toBeGreaterThanOrEqual(2000);
  // And the plan of a key's probe is the unique current-version index.
  const { rows } = await hub.db.pool.query<{ 'QUERY PLAN': string }>(
    `explain select version_id from jsonb_to_recordset('[{"k":"x"}]'::jsonb) as i(k text)
     cross join lateral (select version_id from department_record d where d.resource_code = 'tax.income' and d.record_key = i.k and d.valid_to is null limit 1) d`,
  );
  expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/department_record_current_idx/);
});
