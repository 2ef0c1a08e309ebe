import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createLookupSources, type LookupSources } from '../../src/registries/department/index.js';
import { grantDemoAccess, seedCity } from '../../src/simulate/index.js';
import { depositsOf, startLookupSimulator, type LookupSimulator } from '../../src/simulate/lookups/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * A lookup answer is checked against its resource's record schema (the catalogue's, compiled as
 * connectors compile it). A malformed one is never passed on as data: its fields fail with
 * SOURCE_UNAVAILABLE (reason `invalid`), the rest of the answer stands, and the raw answer is kept
 * in the exchange's quarantine with the connector named, for platform admins.
 */
let sim: LookupSimulator;
let hub: TestHub;
let lookups: LookupSources;
let ids: string[];

const civil = () => hub.as('civil-affairs', { purpose: 'low-income-verification', caseNumber: 'MZ-VALID' });
const admin = () => hub.as('data-bureau', { roles: ['platform-admin'] });
const PERSON = `query ($id: String!) { person(idNumber: $id) { idNumber name
  deposits { edges { node { accountNumber balance } } }
  securitiesAccounts { edges { node { accountNumber marketValue } } } } }`;
const QUARANTINE = `query { quarantinedRecords(connector: "financial-institutions", first: 100) { edges { node { id connector runId resourceCode resourceVersion step errors payload state } } } }`;
type Node = { id: string; connector: string; runId: string | null; resourceCode: string; resourceVersion: string; step: string; errors: string[]; payload: string; state: string };
const quarantined = async (): Promise<Node[]> => {
  const res = await admin().query(QUARANTINE);
  expect(res.errors).toBeUndefined();
  return res.data.quarantinedRecords.edges.map((e: { node: Node }) => e.node);
};

beforeAll(async () => {
  sim = await startLookupSimulator();
  lookups = createLookupSources({ override: { baseUrl: sim.url, timeoutMs: 500 } });
  hub = await startTestHub({}, { lookups });
  await seedCity(hub.owner.pool, { persons: 60, seed: 17 });
  await grantDemoAccess(hub.db.pool);
  await hub.services.catalog.reload();
  const all = (await hub.db.pool.query<{ id: string }>(`select id_number as id from person where valid_to is null order by id_number`)).rows.map((r) => r.id);
  ids = all.filter((i) => depositsOf(i).length > 0);
});
afterAll(async () => {
  await hub?.close();
  await sim?.close();
});
beforeEach(() => {
  sim.set({ malformedRate: 0, errorRate: 0, latencyMs: 0, down: false });
  for (const s of lookups.sources) s.clear();
});

describe('lookup answers are checked against the record schema', () => {
  test('a well-formed answer passes as data and quarantines nothing', async () => {
    const res = await civil().query(PERSON, { id: ids[0] });
    expect(res.errors).toBeUndefined();
    expect(res.data.person.deposits.edges.length).toBe(depositsOf(ids[0]).length);
    expect(await quarantined()).toEqual([]);
  });

  test('a malformed answer: those fields fail with a reason, the rest stands, the raw answer is in quarantine', async () => {
    sim.set({ malformedRate: 1 });
    const id = ids[1];
    const res = await civil().query(PERSON, { id });
    // The person and the rest of the answer stand.
    expect(res.data.person).toMatchObject({ idNumber: id, deposits: null });
    expect(res.data.person.name).toBeTruthy();
    const error = res.errors!.find((e) => e.path?.join('.') === 'person.deposits')!;
    expect(error.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', reason: 'invalid', department: 'financial-institutions', resource: 'financial-institutions.deposit' });
    expect(String(error.extensions!.detail)).toMatch(/record schema of financial-institutions\.deposit/);
    expect(String(error.extensions!.detail)).toMatch(/quarantined as record \d+/);
    // Nothing from the malformed answer reached the caller: no balance, no account number in the message.
    const bad = depositsOf(id)[0];
    expect(JSON.stringify(res)).not.toContain(String(bad.accountNumber));

    const rows = (await quarantined()).filter((q) => q.resourceCode === 'financial-institutions.deposit');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ connector: 'financial-institutions', runId: null, step: 'validation', state: 'open' });
    expect(rows[0].resourceVersion).toMatch(/^\d+$/);
    expect(rows[0].errors.join(' ')).toMatch(/records\[0\]/);
    expect(rows[0].errors.join(' ')).toMatch(/accountNumber|balance/);
    const payload = JSON.parse(rows[0].payload);
    expect(payload.records[0].balance).toBe(`${String(bad.balance)} 元`);
    // The call is named in the request's audit entry with its outcome.
    const entry = (await hub.audit.entriesAbout(id)).find((e) => JSON.stringify(e.resources).includes('call:'))!;
    expect(JSON.stringify(entry.resources)).toContain('call:financial-institutions/financial-regulator-lookup:invalid');
  });

  test('asked again within the TTL, the malformed answer is refused again but quarantined once', async () => {
    sim.set({ malformedRate: 1 });
    const id = ids[2];
    const before = (await quarantined()).length;
    const calls = sim.calls.deposits;
    for (let i = 0; i < 3; i++) {
      const res = await civil().query(PERSON, { id });
      expect(res.errors!.find((e) => e.path?.join('.') === 'person.deposits')!.extensions).toMatchObject({ reason: 'invalid' });
    }
    expect(sim.calls.deposits - calls).toBe(1);
    expect((await quarantined()).length - before).toBeGreaterThanOrEqual(1);
    expect((await quarantined()).filter((q) => JSON.parse(q.payload).records[0]?.idNumber === id && q.resourceCode === 'financial-institutions.deposit')).toHaveLength(1);
  });

  test('a quarantined lookup answer is not replayed into the hub (its data stays at the source); it can be discarded', async () => {
    const [row] = await quarantined();
    const replay = await admin().query(`mutation ($id: ID!) { replayQuarantined(id: $id, reason: "try") { applied } }`, { id: row.id });
    expect(replay.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(replay.errors?.[0].message).toMatch(/lookup answer/);
    const discard = await admin().query(`mutation ($id: ID!) { discardQuarantined(id: $id, reason: "source fixed") { state resolution } }`, { id: row.id });
    expect(discard.errors).toBeUndefined();
    expect(discard.data.discardQuarantined).toMatchObject({ state: 'discarded', resolution: 'source fixed' });
  });
});
