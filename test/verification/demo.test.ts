import { afterAll, beforeAll, expect, test } from 'vitest';
import { createLookupSources } from '../../src/registries/department/index.js';
import { seedCity } from '../../src/simulate/index.js';
import { startLookupSimulator, type LookupSimulator } from '../../src/simulate/lookups/index.js';
import { seedVerificationDemo, type DemoHousehold } from '../../src/verification/demo.js';
import { demoLookupHoldings } from '../../src/verification/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { VERIFY } from './support.js';

/**
 * The demo's promise: its households get the verdicts the README names, against the one financial
 * source the demo runs (the lookup simulator with generated accounts for everybody else, and the
 * demo households' accounts set there), exactly as `npm start` wires it.
 */
let sim: LookupSimulator;
let hub: TestHub;
let stories: DemoHousehold[];
beforeAll(async () => {
  sim = await startLookupSimulator();
  hub = await startTestHub({}, { lookups: createLookupSources({ override: { baseUrl: sim.url } }) });
  await seedCity(hub.owner.pool, { persons: 600, seed: 11 });
  stories = await seedVerificationDemo(hub.owner.pool);
  await demoLookupHoldings(hub.db.pool, sim);
});
afterAll(async () => {
  await hub?.close();
  await sim?.close();
});

test('every demo household gets the verdict promised, the INCOMPLETE one because its bank does not answer', async () => {
  expect(stories.length).toBeGreaterThanOrEqual(8);
  for (const story of stories.slice(0, 8)) {
    const res = await hub.as('civil-affairs', { purpose: 'low-income-verification', caseNumber: 'DEMO-CHECK' }).query(VERIFY, { a: story.applicant, m: story.members });
    expect(res.errors).toBeUndefined();
    const v = res.data.verifyHousehold;
    expect({ why: story.why, verdict: v.verdict }).toEqual({ why: story.why, verdict: story.expect });
    const financial = v.items.find((i: { key: string }) => i.key === 'financial');
    if (story.expect === 'INCOMPLETE') expect(financial).toMatchObject({ outcome: 'UNAVAILABLE', reason: expect.stringMatching(/503/) });
    else expect(financial.system).toBe('financial-institutions/financial-regulator-lookup');
  }
});
