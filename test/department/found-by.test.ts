import path from 'node:path';
import { readdir, readFile } from 'node:fs/promises';
import { getDirective } from '@graphql-tools/utils';
import type { GraphQLObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { guardOf } from '../../src/access/index.js';
import type { ResourceDeclaration } from '../../src/catalog/index.js';
import { readDepartmentRecords, upsertDepartmentRecord } from '../../src/registries/department/index.js';
import { buildSchema, generatedContract } from '../../src/server/schema.js';
import { grantAccess } from '../../src/simulate/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * The three catalogue resources that once had no subject: a marriage is found by either party, a
 * contribution by the insured person or the employer, a grid event (no personal subject) by its
 * division. All three go through the same generated contract, field guard, purpose and audit.
 */
const HUSBAND = '431102198503120211';
const WIFE = '43112420010807046X';
const EMPLOYER = '91431100MA4L8J1X2K';
const WORKER = '431103199001011234';
const DIVISION = '431102';

const schema = buildSchema();
let hub: TestHub;
const civil = () => hub.as('civil-affairs', { purpose: 'low-income-verification', caseNumber: 'MZ-FB-1' });
const statistics = () => hub.as('statistics', { purpose: 'statistical-analysis', caseNumber: 'TJ-FB-1' });

const MARRIAGES = `query ($s: String!) { marriageRegistrations(subject: $s) { totalCount edges { node { registrationNumber kind partyIdNumber otherPartyIdNumber registeredOn office } } } }`;
const CONTRIBUTIONS = `query ($s: String!) { insuranceContributions(subject: $s) { totalCount edges { node { idNumber year insurance contributionBase employerCreditCode } } } }`;
const GRID = `query ($s: String!) { gridEvents(subject: $s) { totalCount edges { node { eventNumber divisionCode category status } } } }`;

async function shippedDeclarations(): Promise<ResourceDeclaration[]> {
  const dir = path.resolve(import.meta.dirname, '../../catalog/resources');
  return Promise.all((await readdir(dir)).filter((f) => f.endsWith('.json')).map(async (f) => JSON.parse(await readFile(path.join(dir, f), 'utf8')) as ResourceDeclaration));
}

beforeAll(async () => {
  hub = await startTestHub();
  const write = (resource: string, recordKey: string, subject: string | null, payload: Record<string, unknown>, sourceSystem: string) =>
    upsertDepartmentRecord(hub.owner.pool, { resource, recordKey, subject, payload, sourceSystem });
  await write('civil-affairs.marriage', 'J431102-2020-0007', HUSBAND, {
    registrationNumber: 'J431102-2020-0007', kind: 'marriage', partyIdNumber: HUSBAND, otherPartyIdNumber: WIFE, registeredOn: '2020-05-20', office: '零陵区民政局婚姻登记处',
  }, 'civil-affairs/marriage');
  for (const year of [2024, 2025]) {
    await write('hrss.contribution', `${WORKER}:${year}:pension`, WORKER, { idNumber: WORKER, year, insurance: 'pension', contributionBase: 3200 + year - 2024, employerCreditCode: EMPLOYER }, 'hrss/contribution-db');
  }
  await write('hrss.contribution', `${HUSBAND}:2025:pension`, HUSBAND, { idNumber: HUSBAND, year: 2025, insurance: 'pension', contributionBase: 900, employerCreditCode: null }, 'hrss/contribution-db');
  await write('urban-management.grid-event', 'WG-2026-0001', null, { eventNumber: 'WG-2026-0001', gridCode: '431102001001', divisionCode: DIVISION, category: '市容环境', reportedAt: '2026-11-30T08:00:00Z', status: 'open', description: '占道经营', componentCode: null }, 'urban-management/grid-lingling');
  await write('urban-management.grid-event', 'WG-2026-0002', null, { eventNumber: 'WG-2026-0002', gridCode: '431103001001', divisionCode: '431103', category: '市容环境', reportedAt: '2026-11-30T09:00:00Z', status: 'closed', description: '垃圾堆放', componentCode: null }, 'urban-management/grid-lingling');
});
afterAll(() => hub?.close());

describe('the shipped catalogue: every department resource is in the contract', () => {
  test('no shipped declaration is skipped any more', async () => {
    expect(generatedContract(await shippedDeclarations()).skipped).toEqual([]);
  });

  test('marriage: a @resource type with its first party as @subject, on Person and by subject; contribution also on LegalEntity; grid events on Division', () => {
    const marriage = schema.getType('MarriageRegistration') as GraphQLObjectType;
    expect(getDirective(schema, marriage, 'resource')?.[0]?.code).toBe('civil-affairs.marriage');
    expect(Object.values(marriage.getFields()).filter((f) => getDirective(schema, f, 'subject')?.length).map((f) => f.name)).toEqual(['partyIdNumber']);
    expect((schema.getType('Person') as GraphQLObjectType).getFields().marriageRegistrations).toBeDefined();
    expect((schema.getType('Person') as GraphQLObjectType).getFields().insuranceContributions).toBeDefined();
    expect((schema.getType('LegalEntity') as GraphQLObjectType).getFields().insuranceContributions).toBeDefined();
    expect((schema.getType('Division') as GraphQLObjectType).getFields().gridEvents).toBeDefined();
    expect((schema.getType('Person') as GraphQLObjectType).getFields().gridEvents).toBeUndefined();
    for (const [field, code] of [['marriageRegistrations', 'civil-affairs.marriage'], ['insuranceContributions', 'hrss.contribution'], ['gridEvents', 'urban-management.grid-event']]) {
      const top = schema.getQueryType()!.getFields()[field];
      expect(guardOf(top)?.routes).toEqual([expect.objectContaining({ kind: 'key', argument: 'subject', resource: code })]);
    }
    // A grid event has no personal subject: no @subject field at all.
    const grid = schema.getType('GridEvent') as GraphQLObjectType;
    expect(Object.values(grid.getFields()).filter((f) => getDirective(schema, f, 'subject')?.length)).toEqual([]);
  });
});

describe('found by every key, through the guard, the purpose and the audit', () => {
  test('a marriage is found by either party, in the clear for its provider', async () => {
    for (const party of [HUSBAND, WIFE, WIFE.toLowerCase()]) {
      const res = await civil().query(MARRIAGES, { s: party });
      expect(res.errors).toBeUndefined();
      expect(res.data.marriageRegistrations.totalCount).toBe(1);
      expect(res.data.marriageRegistrations.edges[0].node).toMatchObject({ registrationNumber: 'J431102-2020-0007', partyIdNumber: HUSBAND, otherPartyIdNumber: WIFE });
    }
    // Both parties asked in one batched read: the record is in both lists.
    const both = await readDepartmentRecords(hub.db.pool, 'civil-affairs.marriage', [HUSBAND, WIFE], { foundBy: ['otherPartyIdNumber'] });
    expect([both.get(HUSBAND)!.length, both.get(WIFE)!.length]).toEqual([1, 1]);
  });

  test('a department without a grant sees the parties masked and the rest withheld; without a purpose nothing is read', async () => {
    const denied = await statistics().query(MARRIAGES, { s: WIFE });
    expect(denied.errors).toBeUndefined();
    expect(denied.data.marriageRegistrations.edges[0].node).toMatchObject({ partyIdNumber: '431102********0211', otherPartyIdNumber: '431124********046X', registeredOn: null, kind: null });
    const refused = await hub.as('civil-affairs').query(MARRIAGES, { s: WIFE });
    expect(refused.errors?.[0].extensions?.code).toBe('PURPOSE_REQUIRED');
    expect(refused.data ?? null).toBeNull();
  });

  test('the audit entry names the resource and the party asked about', async () => {
    await civil().query(MARRIAGES, { s: WIFE });
    const entry = (await hub.audit.entriesAbout(WIFE)).at(-1)!;
    expect(entry).toMatchObject({ department: 'civil-affairs', purpose: 'low-income-verification', outcome: 'ok' });
    expect(entry.resources).toContainEqual(expect.objectContaining({ resource: 'civil-affairs.marriage' }));
  });

  test('contributions by the insured person and by the employer credit code', async () => {
    await grantAccess(hub.db.pool, [{ consumer: 'civil-affairs', resource: 'hrss.contribution', purpose: 'low-income-verification', fields: 'all', legalBasis: '社会救助暂行办法 第十一条' }]);
    await hub.services.catalog.reload();
    const byPerson = await civil().query(CONTRIBUTIONS, { s: WORKER });
    expect(byPerson.errors).toBeUndefined();
    expect(byPerson.data.insuranceContributions.edges.map((e: { node: { year: number } }) => e.node.year)).toEqual([2024, 2025]);
    const byEmployer = await civil().query(CONTRIBUTIONS, { s: EMPLOYER });
    expect(byEmployer.errors).toBeUndefined();
    expect(byEmployer.data.insuranceContributions.totalCount).toBe(2);
    expect(byEmployer.data.insuranceContributions.edges[0].node).toMatchObject({ idNumber: WORKER, employerCreditCode: EMPLOYER, contributionBase: 3200 });
    const entry = (await hub.audit.entriesAbout(EMPLOYER)).at(-1)!;
    expect(entry.resources).toContainEqual(expect.objectContaining({ resource: 'hrss.contribution' }));
    // Without the grant the base is withheld.
    const denied = await statistics().query(CONTRIBUTIONS, { s: EMPLOYER });
    expect(denied.data.insuranceContributions.edges[0].node).toMatchObject({ contributionBase: null });
  });

  test('grid events by their division (shared unconditionally, no personal subject), still under purpose and audit', async () => {
    const res = await statistics().query(GRID, { s: DIVISION });
    expect(res.errors).toBeUndefined();
    expect(res.data.gridEvents.edges.map((e: { node: unknown }) => e.node)).toEqual([{ eventNumber: 'WG-2026-0001', divisionCode: DIVISION, category: '市容环境', status: 'open' }]);
    const viaDivision = await statistics().query(`{ division(code: "${DIVISION}") { code gridEvents { totalCount edges { node { eventNumber } } } } }`);
    expect(viaDivision.errors).toBeUndefined();
    expect(viaDivision.data.division.gridEvents.totalCount).toBe(1);
    const refused = await hub.as('statistics').query(GRID, { s: DIVISION });
    expect(refused.errors?.[0].extensions?.code).toBe('PURPOSE_REQUIRED');
  });

  test('a dataset registered through the API with foundBy is found by that key at once, and a foundBy naming no item is refused', async () => {
    const admin = hub.as('data-bureau', { roles: ['catalog-admin'] });
    const item = (name: string, extra: Record<string, unknown> = {}) => ({ name, title: name, type: 'string', description: `the ${name}`, sensitivity: 'internal', identifiesPerson: false, ...extra });
    const declaration = {
      code: 'test.guardianship', name: '测试监护登记', nameEn: 'Test guardianships', summary: 'A ward and a guardian, for tests.', provider: 'civil-affairs',
      classification: { class: 'department', category: '民政' }, graphqlType: 'TestGuardianship', subject: 'wardIdNumber', foundBy: ['guardianIdNumber'],
      items: [item('wardIdNumber', { identifiesPerson: true, mask: 'id-number', required: true }), item('guardianIdNumber', { identifiesPerson: true, mask: 'id-number' }), item('since')],
      sharing: { type: 'conditional', conditions: '有条件共享: 测试', methods: ['query'] }, open: { open: false }, updateCycle: 'irregular', publishedAt: '2026-12-03',
    };
    const bad = await admin.query(`mutation ($r: ResourceInput!) { registerResource(resource: $r, reason: "test") { code } }`, { r: { ...declaration, code: 'test.guardianship-bad', graphqlType: 'TestBad', foundBy: ['nobody'] } });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(bad.errors?.[0].extensions)).toContain('foundBy[0]');
    const res = await admin.query(`mutation ($r: ResourceInput!) { registerResource(resource: $r, reason: "test") { code subject foundBy } }`, { r: declaration });
    expect(res.errors).toBeUndefined();
    expect(res.data.registerResource).toEqual({ code: 'test.guardianship', subject: 'wardIdNumber', foundBy: ['guardianIdNumber'] });
    await upsertDepartmentRecord(hub.owner.pool, { resource: 'test.guardianship', recordKey: 'G-1', subject: WORKER, payload: { wardIdNumber: WORKER, guardianIdNumber: HUSBAND, since: '2020' }, sourceSystem: 'civil-affairs/test' });
    await hub.services.catalog.reload();
    const byGuardian = await civil().query(`query ($s: String!) { testGuardianships(subject: $s) { totalCount edges { node { wardIdNumber guardianIdNumber } } } }`, { s: HUSBAND });
    expect(byGuardian.errors).toBeUndefined();
    expect(byGuardian.data.testGuardianships.edges[0].node).toEqual({ wardIdNumber: WORKER, guardianIdNumber: HUSBAND });
  });
});
