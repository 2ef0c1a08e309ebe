import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { datasetContext, datasetSpec, SimDataset, startRestSimulator, type RestSimulator } from '../../src/simulate/departments/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';

let hub: TestHub;
let tax: RestSimulator;

beforeAll(async () => {
  hub = await startTestHub();
  const { rows } = await hub.db.pool.query(`select code, left(code, 6) as "countyCode" from division where level = 'village' and code like '4311%' order by code`);
  tax = await startRestSimulator(new SimDataset('tax-income', datasetSpec('tax-income'), datasetContext(rows), 400), { token: 't', switches: { malformedRate: 0.05 } });
  Object.assign(hub.services.exchange!.env, { HUITONG_TAX_API_URL: tax.url, HUITONG_TAX_API_TOKEN: 't' });
  hub.services.exchange!.simulators.set('tax-income', tax);
});
afterAll(async () => {
  await hub?.close();
  await tax?.close();
});

const admin = () => hub.as('data-bureau', { roles: ['platform-admin'] });
const RUNS = `query ($c: ID!, $after: String) { syncRuns(connector: $c, first: 2, after: $after) { totalCount edges { cursor node { id state fetched applied unchanged quarantined created changed deleted error startedBy full } } pageInfo { hasNextPage endCursor } } }`;
const QUARANTINE = `query { quarantinedRecords(connector: "tax-income", first: 100) { edges { node { id step errors payload sourceKey state resourceVersion } } } }`;

async function finished(runId: string) {
  for (let i = 0; i < 200; i++) {
    const res = await admin().query(RUNS, { c: 'tax-income' });
    const run = res.data.syncRuns.edges.map((e: { node: { id: string; state: string } }) => e.node).find((n: { id: string }) => n.id === runId);
    if (run && run.state !== 'running') return run;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('run did not finish');
}

describe('the exchange through GraphQL (platform administrators of the operator)', () => {
  test('startSync runs a connector; syncRuns shows it with counts that add up', async () => {
    const res = await admin().query(`mutation { startSync(connector: "tax-income", reason: "first load") { id state connector startedBy } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.startSync).toMatchObject({ connector: 'tax-income', startedBy: 'data-bureau/data-bureau-system' });
    const run = await finished(res.data.startSync.id);
    expect(run.state).toBe('succeeded');
    expect(run.fetched).toBe(400);
    expect(run.fetched).toBe(run.applied + run.unchanged + run.quarantined);
    expect(run.quarantined).toBeGreaterThan(0);
    expect(run.deleted).toBe(0);
    const entries = await hub.owner.pool.query(`select operation_name, outcome from audit_entry where operation_name = 'startSync'`);
    expect(entries.rows).toEqual([{ operation_name: 'startSync', outcome: 'ok' }]);
  });

  test('syncRuns pages newest first', async () => {
    await finished((await admin().query(`mutation { startSync(connector: "tax-income") { id } }`)).data.startSync.id);
    await finished((await admin().query(`mutation { startSync(connector: "tax-income", full: true) { id } }`)).data.startSync.id);
    const page1 = await admin().query(RUNS, { c: 'tax-income' });
    expect(page1.data.syncRuns.totalCount).toBe(3);
    expect(page1.data.syncRuns.edges.map((e: { node: { full: boolean } }) => e.node.full)).toEqual([true, false]);
    const page2 = await admin().query(RUNS, { c: 'tax-income', after: page1.data.syncRuns.pageInfo.endCursor });
    expect(page2.data.syncRuns.edges).toHaveLength(1);
    expect(page2.data.syncRuns.pageInfo.hasNextPage).toBe(false);
    // The unchanged source: the second run found nothing new, the reconciliation no difference.
    expect(page1.data.syncRuns.edges[0].node).toMatchObject({ fetched: 400, created: 0, changed: 0 });
    expect(page1.data.syncRuns.edges[1].node).toMatchObject({ fetched: 0 });
  });

  test('quarantine round trip: list with payload and errors (audited), fix and replay, discard', async () => {
    const listed = await admin().query(QUARANTINE);
    const open = listed.data.quarantinedRecords.edges.map((e: { node: unknown }) => e.node) as { id: string; step: string; errors: string[]; payload: string; sourceKey: string }[];
    expect(open.length).toBeGreaterThanOrEqual(2);
    expect(open[0].step).toBe('mapping');
    expect(open[0].errors[0]).toMatch(/taxableIncome/);
    const raw = JSON.parse(open[0].payload);
    expect(raw.sre).toBe('n/a');
    const read = await hub.audit.entriesAbout(raw.nsrsbh);
    expect(read.at(-1)?.resources).toEqual([expect.objectContaining({ resource: 'exchange.quarantine' })]);

    const fixed = JSON.stringify({ ...raw, sre: 12345.5 });
    const replay = await admin().query(`mutation ($id: ID!, $p: String) { replayQuarantined(id: $id, payload: $p, reason: "amount re-keyed from the paper return") { applied outcome record { state resolution } } }`, { id: open[0].id, p: fixed });
    expect(replay.errors).toBeUndefined();
    expect(replay.data.replayQuarantined).toEqual({ applied: true, outcome: 'created', record: { state: 'replayed', resolution: 'replayed: created' } });
    const { rows } = await hub.db.pool.query(`select payload from department_record where resource_code = 'tax.income' and record_key = $1 and valid_to is null`, [open[0].sourceKey]);
    expect(rows[0].payload.taxableIncome).toBe(12345.5);

    const again = await admin().query(`mutation ($id: ID!) { replayQuarantined(id: $id, reason: "again") { applied } }`, { id: open[0].id });
    expect(again.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    const unfixed = await admin().query(`mutation ($id: ID!) { replayQuarantined(id: $id, reason: "try as delivered") { applied record { state errors } } }`, { id: open[1].id });
    expect(unfixed.data.replayQuarantined).toMatchObject({ applied: false, record: { state: 'open' } });

    const discard = await admin().query(`mutation ($id: ID!) { discardQuarantined(id: $id, reason: "duplicate return, withdrawn by the taxpayer") { state resolution resolvedBy } }`, { id: open[1].id });
    expect(discard.data.discardQuarantined).toEqual({ state: 'discarded', resolution: 'duplicate return, withdrawn by the taxpayer', resolvedBy: 'data-bureau/data-bureau-system' });
    const changes = await hub.owner.pool.query(`select operation_name from audit_entry where operation_name in ('replayQuarantined', 'discardQuarantined') order by seq`);
    expect(changes.rows.map((r) => r.operation_name)).toEqual(['replayQuarantined', 'replayQuarantined', 'replayQuarantined', 'discardQuarantined']);
  });

  test('a second start while a run is going is refused with CONFLICT', async () => {
    tax.setSwitches({ latencyMs: 400 });
    try {
      const first = await admin().query(`mutation { startSync(connector: "tax-income", full: true) { id } }`);
      const second = await admin().query(`mutation { startSync(connector: "tax-income") { id } }`);
      expect(second.errors?.[0].extensions?.code).toBe('CONFLICT');
      await finished(first.data.startSync.id);
    } finally {
      tax.setSwitches({ latencyMs: 0 });
    }
  });

  test('simulator switches change at run time through the API', async () => {
    const res = await admin().query(`mutation { setSimulatorSwitches(system: "tax-income", switches: "{\\"down\\": true}", reason: "outage drill") { system switches } }`);
    expect(JSON.parse(res.data.setSimulatorSwitches.switches).down).toBe(true);
    const run = await finished((await admin().query(`mutation { startSync(connector: "tax-income", full: true) { id } }`)).data.startSync.id);
    expect(run.state).toBe('failed');
    expect(run.error).toMatch(/HTTP 503/);
    tax.setSwitches({ down: false });
    const bad = await admin().query(`mutation { setSimulatorSwitches(system: "tax-income", switches: "{\\"errorRate\\": 7}") { system } }`);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  }, 60_000);

  test('nobody else runs the exchange: consumers, and other departments’ platform administrators, are refused', async () => {
    const consumer = await hub.as('civil-affairs').query(`{ syncRuns(connector: "tax-income") { totalCount } }`);
    expect(consumer.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const other = await hub.as('tax', { roles: ['platform-admin'] }).query(`mutation { startSync(connector: "tax-income") { id } }`);
    expect(other.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const q = await hub.as('tax', { roles: ['platform-admin'] }).query(QUARANTINE);
    expect(q.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
