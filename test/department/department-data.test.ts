import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { recordValidator } from '../../src/catalog/index.js';
import { readDepartmentRecords, upsertDepartmentRecord } from '../../src/registries/department/index.js';
import { grantAccess } from '../../src/simulate/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * A department dataset registered through the API, with no file and no code: its record schema is
 * derived from its items (or given inline), and its records are queryable by subject through the
 * generated contract under the field guard, the purpose check and the audit.
 */
let hub: TestHub;
const ZHANG = '431102198503120211';
const OUYANG = '43112420010807046X';

const admin = () => hub.as('data-bureau', { roles: ['catalog-admin'] });
const taxOffice = () => hub.as('tax', { roles: ['provider'], purpose: 'tax-administration', caseNumber: 'SW-1' });
const civil = () => hub.as('civil-affairs', { purpose: 'low-income-verification', caseNumber: 'MZ-7' });
const statistics = () => hub.as('statistics', { purpose: 'statistical-analysis', caseNumber: 'TJ-3' });

const item = (name: string, type: string, sensitivity: string, extra: Record<string, unknown> = {}) => ({
  name, title: name, type, description: `the ${name}`, sensitivity, identifiesPerson: false, ...extra,
});

/** Annual income-tax records: a dataset as a department would send it through `registerResource`. */
const incomeDeclaration = (over: Record<string, unknown> = {}) => ({
  code: 'test.income',
  name: '测试个人所得税纳税记录',
  nameEn: 'Test income-tax records',
  summary: 'Annual income-tax records of persons, for tests.',
  provider: 'tax',
  classification: { class: 'department', category: '税务' },
  graphqlType: 'TestIncome',
  items: [
    item('taxpayerIdNumber', 'string', 'personal', { identifiesPerson: true, mask: 'id-number', required: true }),
    item('period', 'string', 'internal', { required: true }),
    item('taxableIncome', 'number', 'personal'),
    item('taxPaid', 'number', 'personal'),
    item('validFrom', 'datetime', 'internal'),
    item('validTo', 'datetime', 'internal'),
  ],
  sharing: { type: 'conditional', conditions: '有条件共享: 测试', methods: ['query'] },
  open: { open: false },
  updateCycle: 'yearly',
  publishedAt: '2026-12-03',
  ...over,
});

const RECORDS = `query ($s: String!) { testIncomes(subject: $s) { totalCount edges { node { taxpayerIdNumber period taxableIncome taxPaid validFrom provenance { sourceSystem } } } } }`;

beforeAll(async () => {
  hub = await startTestHub();
  const res = await admin().query(`mutation ($r: ResourceInput!) { registerResource(resource: $r, reason: "tax brings its income records") { code version recordSchema recordSchemaDocument subject } }`, {
    r: incomeDeclaration(),
  });
  expect(res.errors).toBeUndefined();
  for (const [subject, period, income] of [[ZHANG, '2024', 86_000], [ZHANG, '2025', 91_500], [OUYANG, '2025', 12_000]] as const) {
    await upsertDepartmentRecord(hub.owner.pool, {
      resource: 'test.income', recordKey: `${subject}:${period}`, subject,
      payload: { taxpayerIdNumber: subject, period, taxableIncome: income, taxPaid: Math.round(income * 0.03) },
      sourceSystem: 'tax/income-tax', resourceVersion: 1,
    });
  }
});
afterAll(() => hub?.close());

describe('the record schema travels with the declaration', () => {
  test('a resource registered without a schema file gets one derived from its items, and connectors validate against it', async () => {
    const res = await admin().query(`{ catalogResource(code: "test.income") { recordSchema recordSchemaDocument subject } }`);
    expect(res.data.catalogResource.recordSchema).toBeNull();
    const schema = JSON.parse(res.data.catalogResource.recordSchemaDocument);
    expect(schema.required).toEqual(['taxpayerIdNumber', 'period']);
    expect(Object.keys(schema.properties)).toEqual(['taxpayerIdNumber', 'period', 'taxableIncome', 'taxPaid']);
    const validator = await recordValidator(hub.db.pool, 'test.income');
    expect(validator!.validate({ taxpayerIdNumber: ZHANG, period: '2025', taxableIncome: 1 })).toBe(true);
    expect(validator!.validate({ taxpayerIdNumber: ZHANG, taxableIncome: 'much' })).toBe(false);
  });

  test('an inline schema replaces the derived one in a new version', async () => {
    const inline = { type: 'object', required: ['taxpayerIdNumber', 'period'], properties: { period: { type: 'string', pattern: '^\\d{4}$' } } };
    const res = await admin().query(`mutation ($r: ResourceInput!) { updateResource(resource: $r, reason: "periods are years") { version recordSchemaDocument } }`, {
      r: { ...incomeDeclaration(), recordSchemaJson: JSON.stringify(inline) },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data.updateResource.version).toBe(2);
    expect(JSON.parse(res.data.updateResource.recordSchemaDocument)).toEqual(inline);
    const validator = await recordValidator(hub.db.pool, 'test.income');
    expect(validator!.version).toBe(2);
    expect(validator!.validate({ taxpayerIdNumber: ZHANG, period: '25' })).toBe(false);
    const history = await hub.db.pool.query(`select version, declaration->'recordSchema' as schema from catalog_resource_version where code = 'test.income' order by version`);
    expect(history.rows.map((r) => r.schema)).toEqual([null, inline]);
  });

  test('an inline schema that is not JSON, or does not compile, is refused with the reason', async () => {
    const notJson = await admin().query(`mutation ($r: ResourceInput!) { updateResource(resource: $r, reason: "x") { version } }`, {
      r: { ...incomeDeclaration(), recordSchemaJson: '{ type: object' },
    });
    expect(notJson.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'resource.recordSchemaJson' });
    const bad = await admin().query(`mutation ($r: ResourceInput!) { updateResource(resource: $r, reason: "x") { version } }`, {
      r: { ...incomeDeclaration(), recordSchemaJson: JSON.stringify({ type: 'no-such-type' }) },
    });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((bad.errors?.[0].extensions?.problems as { path: string }[]).map((p) => p.path)).toEqual(['recordSchema']);
  });
});

describe('a department resource is queryable by subject through the contract, without a resolver of its own', () => {
  test('its provider reads it in the clear, newest versions only, with provenance', async () => {
    const res = await taxOffice().query(RECORDS, { s: ZHANG });
    expect(res.errors).toBeUndefined();
    expect(res.data.testIncomes.totalCount).toBe(2);
    expect(res.data.testIncomes.edges.map((e: { node: unknown }) => e.node)).toEqual([
      expect.objectContaining({ taxpayerIdNumber: ZHANG, period: '2024', taxableIncome: 86_000, provenance: { sourceSystem: 'tax/income-tax' } }),
      expect.objectContaining({ taxpayerIdNumber: ZHANG, period: '2025', taxableIncome: 91_500 }),
    ]);
  });

  test('a department with a grant reads it in the clear; one without sees the ID number masked and the amounts withheld', async () => {
    await grantAccess(hub.db.pool, [{ consumer: 'civil-affairs', resource: 'test.income', purpose: 'low-income-verification', fields: 'all', legalBasis: '社会救助暂行办法 第十一条' }]);
    await hub.services.catalog.reload();
    const granted = await civil().query(RECORDS, { s: OUYANG.toLowerCase() });
    expect(granted.errors).toBeUndefined();
    expect(granted.data.testIncomes.edges[0].node).toMatchObject({ taxpayerIdNumber: OUYANG, taxableIncome: 12_000, taxPaid: 360 });
    expect(granted.extensions?.access).toEqual({ masked: [], withheld: [] });

    const denied = await statistics().query(RECORDS, { s: OUYANG });
    expect(denied.errors).toBeUndefined();
    expect(denied.data.testIncomes.edges[0].node).toMatchObject({ taxpayerIdNumber: '431124********046X', taxableIncome: null, taxPaid: null });
    const access = denied.extensions?.access as { masked: { path: unknown[]; rule: string }[]; withheld: { path: unknown[]; reason: string }[] };
    expect(access.masked).toContainEqual({ path: ['testIncomes', 'edges', 0, 'node', 'taxpayerIdNumber'], rule: 'id-number' });
    expect(access.withheld).toContainEqual({ path: ['testIncomes', 'edges', 0, 'node', 'taxableIncome'], reason: 'no-grant' });
  });

  test('without a purpose nothing is read, and the refusal is in the audit trail', async () => {
    const res = await hub.as('civil-affairs').query(RECORDS, { s: ZHANG });
    expect(res.errors?.[0].extensions?.code).toBe('PURPOSE_REQUIRED');
    expect(res.data ?? null).toBeNull();
    const last = (await hub.db.pool.query(`select department, outcome from audit_entry order by seq desc limit 1`)).rows[0];
    expect(last).toMatchObject({ department: 'civil-affairs', outcome: expect.stringMatching(/PURPOSE_REQUIRED/) });
  });

  test('every read is in the audit trail: who, why, the subject and the fields that left', async () => {
    const entries = await hub.audit.entriesAbout(OUYANG);
    const civilEntry = entries.find((e) => e.department === 'civil-affairs' && e.purpose === 'low-income-verification');
    expect(civilEntry?.resources).toContainEqual({
      resource: 'test.income',
      fields: expect.arrayContaining(['arg:subject', 'taxpayerIdNumber', 'taxableIncome', 'taxPaid']),
      subjects: [OUYANG],
    });
    const statisticsEntry = entries.find((e) => e.department === 'statistics');
    const released = (statisticsEntry?.resources as { resource: string; fields: string[] }[]).find((r) => r.resource === 'test.income')!;
    expect(released.fields).toContain('taxpayerIdNumber');
    expect(released.fields).not.toContain('taxableIncome'); // withheld: it did not leave
  });

  test('a changed record is a new version: the old one is kept and still answers at its moment', async () => {
    const before = new Date().toISOString();
    const outcome = await upsertDepartmentRecord(hub.owner.pool, {
      resource: 'test.income', recordKey: `${ZHANG}:2025`, subject: ZHANG,
      payload: { taxpayerIdNumber: ZHANG, period: '2025', taxableIncome: 93_000, taxPaid: 2790 }, sourceSystem: 'tax/income-tax', resourceVersion: 2,
    });
    expect(outcome).toBe('updated');
    expect(await upsertDepartmentRecord(hub.owner.pool, {
      resource: 'test.income', recordKey: `${ZHANG}:2025`, subject: ZHANG,
      payload: { taxpayerIdNumber: ZHANG, period: '2025', taxableIncome: 93_000, taxPaid: 2790 }, sourceSystem: 'tax/income-tax', resourceVersion: 2,
    })).toBe('unchanged');
    const now = await readDepartmentRecords(hub.db.pool, 'test.income', [ZHANG]);
    expect(now.get(ZHANG)!.map((r) => r.payload.taxableIncome)).toEqual([86_000, 93_000]);
    const then = await taxOffice().query(`query ($s: String!, $at: String) { testIncomes(subject: $s, asOf: $at) { edges { node { taxableIncome } } } }`, { s: ZHANG, at: before });
    expect(then.data.testIncomes.edges.map((e: { node: { taxableIncome: number } }) => e.node.taxableIncome)).toEqual([86_000, 91_500]);
  });

  test('pages through a subject’s records with first/after', async () => {
    const first = await taxOffice().query(`{ testIncomes(subject: "${ZHANG}", first: 1) { edges { cursor node { period } } pageInfo { hasNextPage endCursor } } }`);
    expect(first.data.testIncomes.edges.map((e: { node: { period: string } }) => e.node.period)).toEqual(['2024']);
    expect(first.data.testIncomes.pageInfo.hasNextPage).toBe(true);
    const next = await taxOffice().query(`query ($a: String) { testIncomes(subject: "${ZHANG}", first: 1, after: $a) { edges { node { period } } pageInfo { hasNextPage } } }`, {
      a: first.data.testIncomes.pageInfo.endCursor,
    });
    expect(next.data.testIncomes.edges.map((e: { node: { period: string } }) => e.node.period)).toEqual(['2025']);
    expect(next.data.testIncomes.pageInfo.hasNextPage).toBe(false);
  });
});
