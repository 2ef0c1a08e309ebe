import { afterAll, beforeAll, expect, test } from 'vitest';
import { Exchange } from '../../src/exchange/index.js';
import { exchangeDatabase, silent } from './support.js';

let hub: Awaited<ReturnType<typeof exchangeDatabase>>;
beforeAll(async () => {
  hub = await exchangeDatabase();
});
afterAll(async () => {
  await hub?.drop();
});

test('once the exchange stops for shutdown, no run starts (its pool is about to close) and none is recorded', async () => {
  const exchange = Exchange.load(hub.db.pool, silent, {});
  await exchange.stop();
  const result = await exchange.run('tax-income', { startedBy: 'test' });
  expect(result).toEqual({ state: 'busy', runId: null, reason: 'the hub is shutting down: the next start runs it' });
  const { rows } = await hub.db.pool.query(`select count(*)::int as n from sync_run where connector = 'tax-income'`);
  expect(rows[0].n).toBe(0);
});
