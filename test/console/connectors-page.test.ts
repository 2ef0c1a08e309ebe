import { mkdir } from 'node:fs/promises';
import chromium from '@sparticuz/chromium';
import type { IResolvers } from '@graphql-tools/utils';
import { chromium as playwright, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildSchema } from '../../src/server/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * The console's connectors page is built on the exchange's API (`syncRuns`, quarantine), which
 * another part of the hub provides. Where the served schema lacks it, this test serves a stand-in
 * with the same shape; where it has it, the real one. Either way the page must find it by itself.
 */
const hasExchange = !!buildSchema().getQueryType()!.getFields().syncRuns;

const STAND_IN = /* GraphQL */ `
  extend type Query {
    connectors: [Connector!]!
    syncRuns(connector: ID!, first: Int = 20, after: String): SyncRunConnection!
    quarantinedRecords(connector: ID, first: Int = 20, after: String): QuarantinedRecordConnection!
  }
  extend type Mutation {
    replayQuarantined(id: ID!, payload: String, reason: String!): QuarantineReplay!
    discardQuarantined(id: ID!, reason: String!): QuarantinedRecord!
    startSync(connector: ID!, full: Boolean = false, reason: String): SyncRun!
  }
  type Connector { id: ID! department: String! kind: String! resource: String! enabled: Boolean! }
  type SyncRun { id: ID! connector: String! state: String! startedAt: String! fetched: Int! applied: Int! unchanged: Int! quarantined: Int! error: String }
  type SyncRunConnection { edges: [SyncRunEdge!]! pageInfo: PageInfo! }
  type SyncRunEdge { node: SyncRun! cursor: String! }
  type QuarantinedRecord { id: ID! connector: String! step: String! errors: [String!]! payload: String! state: String! }
  type QuarantinedRecordConnection { edges: [QuarantinedRecordEdge!]! pageInfo: PageInfo! }
  type QuarantinedRecordEdge { node: QuarantinedRecord! cursor: String! }
  type QuarantineReplay { applied: Boolean! record: QuarantinedRecord! }
`;
const replayed: { id: string; payload: string | null; reason: string }[] = [];
const started: string[] = [];
const record = { id: '7', connector: 'tax-income', step: 'validation', errors: ['/amount: must be number'], payload: '{"amount":"x"}', state: 'open' };
const standIn: IResolvers = {
  Query: {
    connectors: () => [{ id: 'tax-income', department: 'tax', kind: 'rest', resource: 'tax.income', enabled: true }],
    syncRuns: (_r, { connector }: { connector: string }) => ({
      edges: [{ cursor: '1', node: { id: '1', connector, state: 'succeeded', startedAt: '2026-12-03T01:00:00Z', fetched: 10, applied: 8, unchanged: 1, quarantined: 1, error: null } }],
      pageInfo: { hasNextPage: false, endCursor: '1' },
    }),
    quarantinedRecords: () => ({ edges: replayed.length ? [] : [{ cursor: '7', node: record }], pageInfo: { hasNextPage: false, endCursor: null } }),
  },
  Mutation: {
    replayQuarantined: (_r, args: { id: string; payload: string | null; reason: string }) => {
      replayed.push(args);
      return { applied: true, record: { ...record, state: 'replayed' } };
    },
    discardQuarantined: () => ({ ...record, state: 'discarded' }),
    startSync: (_r, { connector }: { connector: string }) => {
      started.push(connector);
      return { id: '2', connector, state: 'running', startedAt: '2026-12-03T02:00:00Z', fetched: 0, applied: 0, unchanged: 0, quarantined: 0, error: null };
    },
  },
};

let hub: TestHub;
let bare: TestHub | null = null;
let browser: Browser;
beforeAll(async () => {
  await mkdir(new URL('../../test-artifacts/console/', import.meta.url), { recursive: true });
  hub = hasExchange ? await startTestHub() : await startTestHub({}, { schema: buildSchema({ typeDefs: [STAND_IN], resolvers: [standIn] }) });
  if (!hasExchange) bare = await startTestHub();
  browser = await playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args.filter((a) => a !== '--single-process'), headless: true });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await hub?.close();
  await bare?.close();
});

async function signedIn(url: string, roles: string[]) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${url}/console`);
  await page.evaluate(() => document.fonts.ready);
  await page.locator('#demo-sign-in select[name=department]').selectOption('data-bureau');
  for (const box of await page.locator('#demo-sign-in input[name=role]').all()) {
    if (roles.includes((await box.getAttribute('value'))!)) await box.check();
    else await box.uncheck();
  }
  await page.click('[data-action=demo-sign-in]');
  await page.waitForSelector('#catalog tbody tr');
  return page;
}

test('a platform administrator finds the connectors page, with connectors, their runs and the quarantine', async () => {
  const page = await signedIn(hub.url, ['platform-admin']);
  await page.locator('[data-nav=connectors]').waitFor();
  await page.click('[data-nav=connectors]');
  await page.locator('#connector-list tbody tr').first().waitFor();
  await expect.poll(() => page.locator('#sync-runs').isVisible()).toBe(true);
  await expect.poll(() => page.locator('#quarantine').isVisible()).toBe(true);
  if (!hasExchange) {
    await expect.poll(() => page.locator('#sync-runs tbody').textContent()).toContain('succeeded');
    const row = page.locator('#quarantine tr[data-quarantined="7"]');
    expect(await row.textContent()).toContain('/amount: must be number');
    await row.locator('[data-action=replayQuarantined]').click();
    await page.fill('#quarantine-action textarea[name=arg-payload]', '{"amount":12}');
    await page.fill('#quarantine-action input[name=arg-reason]', '更正金额');
    await page.click('[data-action=run-quarantine-action]');
    await expect.poll(() => replayed).toEqual([{ id: '7', payload: '{"amount":12}', reason: '更正金额' }]);
    await expect.poll(() => page.locator('#quarantine tbody tr').count()).toBe(0);
    await page.click('#connector-list tr[data-connector="tax-income"] [data-action=start-sync]');
    await expect.poll(() => started).toEqual(['tax-income']);
  }
  await page.screenshot({ path: new URL('../../test-artifacts/console/12-connectors.png', import.meta.url).pathname, fullPage: true });
  await page.close();
}, 120_000);

test.runIf(!hasExchange)('where the schema has no connector API the page is not offered', async () => {
  const page = await signedIn(bare!.url, ['platform-admin']);
  await page.waitForTimeout(300);
  expect(await page.locator('[data-nav=connectors]').isVisible()).toBe(false);
  await page.close();
}, 120_000);
