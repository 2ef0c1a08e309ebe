import { afterAll, beforeAll, expect, test } from 'vitest';
import { formsOf } from '../../src/prefill/index.js';
import { buildSchema, sourceUnavailable } from '../../src/server/index.js';
import { grantDemoAccess, seedCity } from '../../src/simulate/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/** A department system that does not answer: its fields go to the applicant, the rest of the form stands. */
const schema = buildSchema({
  typeDefs: [
    `extend type Person { taxRecord: TaxRecord }
     "A stand-in for a record read live from a department system that is down."
     type TaxRecord @resource(code: "population.person") { name: String }`,
  ],
  resolvers: [{ Person: { taxRecord: () => { throw sourceUnavailable('tax'); } } }],
});

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({}, { schema });
  await seedCity(hub.owner.pool, { persons: 300, seed: 3 });
  await grantDemoAccess(hub.db.pool);
  await hub.services.catalog.reload();
  formsOf(hub.services).register(
    {
      code: 'live-source-form', version: '1.0.0', name: '测试表', nameEn: 'Test form', matter: '测试', department: 'civil-affairs',
      purpose: 'low-income-verification', subject: 'person', publishedAt: '2026-12-03',
      fields: [
        { name: 'applicantName', title: '姓名', type: 'string', source: { path: 'person.name' }, locked: true, certificate: '居民身份证' },
        { name: 'taxName', title: '纳税人', type: 'string', source: { path: 'person.taxRecord.name' }, locked: true, certificate: '完税证明' },
      ],
    },
    schema,
    hub.services.catalog,
  );
}, 120_000);
afterAll(() => hub?.close());

test('a source that does not answer leaves its field to the applicant, and the rest of the form stands', async () => {
  const { id, name } = (await hub.owner.pool.query(`select id_number as id, name from person where valid_to is null limit 1`)).rows[0];
  const res = await hub.as('civil-affairs', { purpose: 'low-income-verification', caseNumber: 'T-1' }).query(
    `query ($s: String!) { prefillForm(form: "live-source-form", subject: $s) { certificatesRequired fields { name value status needsApplicant reasons locked } } }`,
    { s: id },
  );
  expect(res.errors).toBeUndefined();
  expect(res.data.prefillForm.fields).toEqual([
    { name: 'applicantName', value: name, status: 'prefilled', needsApplicant: false, reasons: [], locked: true },
    { name: 'taxName', value: null, status: 'needs_applicant', needsApplicant: true, reasons: ['source-unavailable'], locked: false },
  ]);
  expect(res.data.prefillForm.certificatesRequired).toEqual(['完税证明']);
});
