import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createLookupSources, financialAssets, lookupSource, LookupSource, type LookupSources } from '../../src/registries/department/index.js';
import { grantDemoAccess, seedCity } from '../../src/simulate/index.js';
import { depositsOf, startLookupSimulator, type LookupSimulator } from '../../src/simulate/lookups/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * Deposits and securities stay at the financial institutions: the hub asks for them at query time,
 * within a timeout, through a short cache and a circuit breaker. A source that does not answer
 * fails only its own fields (SOURCE_UNAVAILABLE); each call is named in the request's audit entry.
 */
const TIMEOUT_MS = 300;
let sim: LookupSimulator;
let hub: TestHub;
let lookups: LookupSources;
let ids: string[];

const SYSTEM = 'financial-institutions/financial-regulator-lookup';
const civil = () => hub.as('civil-affairs', { purpose: 'low-income-verification', caseNumber: 'MZ-LOOKUP' });
const PERSON = `query ($id: String!) { person(idNumber: $id) { idNumber name
  deposits { totalCount edges { node { idNumber accountNumber institution balance asOf } } }
  securitiesAccounts { edges { node { accountNumber marketValue } } } } }`;
const lastEntry = async () => (await hub.db.pool.query(`select resources, subjects, outcome from audit_entry order by seq desc limit 1`)).rows[0];

beforeAll(async () => {
  sim = await startLookupSimulator({ latencyMs: 50 });
  // No cache here, so that each query reaches the source; a short breaker so that the test sees it open and close.
  lookups = createLookupSources({ override: { baseUrl: sim.url, timeoutMs: TIMEOUT_MS, ttlMs: 0, breakerFailures: 3, halfOpenAfterMs: 1_000 } });
  hub = await startTestHub({}, { lookups });
  await seedCity(hub.owner.pool, { persons: 40, seed: 13 });
  await grantDemoAccess(hub.db.pool);
  await hub.services.catalog.reload();
  ids = (await hub.db.pool.query<{ id: string }>(`select id_number as id from person where valid_to is null order by id_number limit 10`)).rows.map((r) => r.id);
  // The first request of a process pays for signing the token and warming up the hub: not the lookups' cost.
  await civil().query(PERSON, { id: ids[9] });
});
afterAll(async () => {
  await hub?.close();
  await sim?.close();
});
beforeEach(() => sim.set({ latencyMs: 50, errorRate: 0, down: false }));

describe('a person query with lookup fields', () => {
  test('answers deposits and securities from the source at 50 ms latency, in the clear under a grant', async () => {
    const id = ids.find((i) => depositsOf(i).length > 0)!;
    const started = performance.now();
    const res = await civil().query(PERSON, { id });
    const ms = performance.now() - started;
    expect(res.errors).toBeUndefined();
    expect(res.data.person.name).toBeTruthy();
    expect(res.data.person.deposits.totalCount).toBe(depositsOf(id).length);
    // Pages run in key order (keyset on the account number), whatever order the source answers in.
    const [lowest] = [...depositsOf(id)].sort((a, b) => (String(a.accountNumber) < String(b.accountNumber) ? -1 : 1));
    expect(res.data.person.deposits.edges[0].node).toMatchObject({ idNumber: id, accountNumber: lowest.accountNumber, balance: lowest.balance });
    // The two lookups run side by side: one latency, not two.
    expect(ms).toBeGreaterThanOrEqual(50);
    expect(ms).toBeLessThan(50 + TIMEOUT_MS);
  });

  test('each call is named in the audit entry of the request, with its subject', async () => {
    const id = ids[1];
    await civil().query(PERSON, { id });
    const entry = await lastEntry();
    expect(entry.outcome).toBe('ok');
    expect(entry.subjects).toContain(id);
    expect(entry.resources).toContainEqual(expect.objectContaining({ resource: 'financial-institutions.deposit', fields: expect.arrayContaining([`call:${SYSTEM}:source`]), subjects: [id] }));
    expect(entry.resources).toContainEqual(expect.objectContaining({ resource: 'financial-institutions.securities', fields: expect.arrayContaining([`call:${SYSTEM}:source`]) }));
  });

  test('without a grant the balances are withheld (financial accounts are sensitive), the ID number masked', async () => {
    const id = ids.find((i) => depositsOf(i).length > 0)!;
    const res = await hub.as('statistics', { purpose: 'statistical-analysis', caseNumber: 'TJ-9' }).query(
      `query ($id: String!) { deposits(subject: $id) { edges { node { idNumber accountNumber balance institution } } } }`,
      { id },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.deposits.edges[0].node).toMatchObject({ idNumber: `${id.slice(0, 6)}********${id.slice(-4)}`, accountNumber: null, balance: null, institution: null });
  });

  test('a moment in the past is refused: the source answers as of now only', async () => {
    const res = await civil().query(`query ($id: String!) { deposits(subject: $id, asOf: "2025-01-01") { totalCount } }`, { id: ids[0] });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'asOf' });
  });

  test('without a purpose the source is not even asked', async () => {
    const before = sim.calls.deposits;
    const res = await hub.as('civil-affairs').query(`query ($id: String!) { deposits(subject: $id) { totalCount } }`, { id: ids[0] });
    expect(res.errors?.[0].extensions?.code).toBe('PURPOSE_REQUIRED');
    expect(sim.calls.deposits).toBe(before);
  });
});

describe('a source that does not answer', () => {
  test('fails its own fields with SOURCE_UNAVAILABLE within the timeout; the rest of the answer stands', async () => {
    sim.set({ down: true });
    const id = ids[2];
    const started = performance.now();
    const res = await civil().query(PERSON, { id });
    const ms = performance.now() - started;
    expect(ms).toBeLessThan(TIMEOUT_MS + 250);
    expect(res.data.person).toMatchObject({ idNumber: id, name: expect.any(String), deposits: null, securitiesAccounts: null });
    expect(res.errors?.map((e) => [e.path, e.extensions?.code])).toEqual(
      expect.arrayContaining([
        [['person', 'deposits'], 'SOURCE_UNAVAILABLE'],
        [['person', 'securitiesAccounts'], 'SOURCE_UNAVAILABLE'],
      ]),
    );
    expect(res.errors?.[0].extensions).toMatchObject({ department: 'financial-institutions', reason: 'timeout' });
    const entry = await lastEntry();
    expect(entry.outcome).toBe('partial:SOURCE_UNAVAILABLE');
    expect(entry.resources).toContainEqual(expect.objectContaining({ resource: 'financial-institutions.deposit', fields: [`call:${SYSTEM}:timeout`], subjects: [id] }));
  });

  test('errors trip the breaker: calls then fail at once without reaching the source, and it closes again once the source recovers', async () => {
    sim.set({ errorRate: 1 });
    const source = lookups.forResource('financial-institutions.deposit')!;
    // The breaker may be open from the test before: wait for its trial call.
    await new Promise((r) => setTimeout(r, 1_100));
    for (let i = 0; i < 3 && source.state !== 'open'; i++) await civil().query(`query ($id: String!) { deposits(subject: $id) { totalCount } }`, { id: ids[3] });
    expect(source.state).toBe('open');

    const before = sim.calls.deposits;
    const started = performance.now();
    const res = await civil().query(PERSON, { id: ids[4] });
    expect(performance.now() - started).toBeLessThan(50);
    expect(sim.calls.deposits).toBe(before);
    expect(res.data.person.name).toBeTruthy();
    expect(res.errors?.find((e) => e.path?.[1] === 'deposits')?.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', reason: 'breaker-open' });
    expect((await lastEntry()).resources).toContainEqual(expect.objectContaining({ fields: [`call:${SYSTEM}:breaker-open`] }));

    sim.set({ errorRate: 0 });
    await new Promise((r) => setTimeout(r, 1_100));
    const healed = await civil().query(PERSON, { id: ids[4] });
    expect(healed.errors).toBeUndefined();
    expect(source.state).toBe('closed');
  });
});

describe('the lookup client', () => {
  test('reuses an answer for its TTL, and asks many subjects in parallel (lookupSource)', async () => {
    const source = new LookupSource({ ...lookups.forResource('financial-institutions.deposit')!.definition, ttlMs: 60_000 });
    const first = await source.lookup('financial-institutions.deposit', ids[5]);
    const again = await source.lookup('financial-institutions.deposit', ids[5]);
    expect(first).toMatchObject({ ok: true, from: 'source' });
    expect(again).toMatchObject({ ok: true, from: 'cache', records: first.ok ? first.records : [] });

    const started = performance.now();
    const answers = await lookupSource(lookups, 'financial-institutions.securities', ids);
    expect(performance.now() - started).toBeLessThan(50 * 3);
    expect([...answers.keys()]).toEqual(ids);
    expect([...answers.values()].every((a) => a.ok)).toBe(true);
    expect((await lookupSource(lookups, 'tax.nothing', [ids[0]])).get(ids[0])).toMatchObject({ ok: false, reason: 'not-configured' });
  });

  test('sums item 12 (deposits, wealth products, securities) per person; one unanswered subject makes it unavailable, never zero', async () => {
    const assets = await financialAssets(lookups, ids.slice(0, 3));
    if (!assets.ok) throw new Error(assets.detail);
    const id = ids.find((i) => depositsOf(i).length > 0)!;
    const one = await financialAssets(lookups, [id]);
    const expected = depositsOf(id).filter((r) => r.kind !== 'wealth').reduce((t, r) => t + (r.balance as number), 0);
    expect(one.ok && one.holdings[id].deposits).toBeCloseTo(expected, 2);
    expect(Object.keys(assets.holdings)).toEqual(ids.slice(0, 3));
    sim.set({ down: true });
    expect(await financialAssets(lookups, [ids[6]])).toMatchObject({ ok: false, reason: expect.stringMatching(/^(timeout|breaker-open)$/) });
  });

  test('reads its definition from connectors/financial-institutions/connector.json', () => {
    const [source] = createLookupSources({ env: { FINANCIAL_INSTITUTIONS_URL: 'http://127.0.0.1:1/' } }).sources;
    expect(source.definition).toMatchObject({
      department: 'financial-institutions', system: 'financial-regulator-lookup', baseUrl: 'http://127.0.0.1:1', timeoutMs: 800, ttlMs: 30_000,
      routes: [
        { resource: 'financial-institutions.deposit', path: '/deposits/{subject}', records: 'records' },
        { resource: 'financial-institutions.securities', path: '/securities/{subject}', records: 'records' },
      ],
    });
    expect(createLookupSources({ env: {} }).sources[0].definition.baseUrl).toBeNull();
  });
});
