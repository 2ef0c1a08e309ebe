import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getDirective } from '@graphql-tools/utils';
import { getNamedType, isLeafType, isObjectType, type GraphQLObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { guardOf } from '../../src/access/index.js';
import { importCatalog, recordValidator, SHEET_ITEM_COLUMNS, SHEET_RESOURCE_COLUMNS, type ResourceDeclaration } from '../../src/catalog/index.js';
import { upsertDepartmentRecord } from '../../src/registries/department/index.js';
import { buildSchema, generatedContract } from '../../src/server/schema.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/** The part of the contract generated from the catalogue, as the guard and a client see it. */
const schema = buildSchema();
const read = (file: string) => import(path.resolve(import.meta.dirname, '../..', file), { with: { type: 'json' } }).then((m) => m.default as ResourceDeclaration);

describe('types generated from the shipped declarations', () => {
  test.each(['financial-institutions.deposit', 'financial-institutions.securities'])('%s: a @resource type whose leaves are exactly its items, found by subject', async (code) => {
    const declaration = await read(`catalog/resources/${code}.json`);
    const type = schema.getType(declaration.graphqlType) as GraphQLObjectType;
    expect(isObjectType(type)).toBe(true);
    expect(getDirective(schema, type, 'resource')?.[0]?.code).toBe(code);
    const leaves = Object.values(type.getFields()).filter((f) => isLeafType(getNamedType(f.type))).map((f) => f.name);
    expect(leaves).toEqual(declaration.items.map((i) => i.name));
    expect(Object.values(type.getFields()).filter((f) => getDirective(schema, f, 'subject')?.length).map((f) => f.name)).toEqual(['idNumber']);
    for (const field of Object.values(type.getFields())) expect(guardOf(field)?.decision).toMatchObject({ kind: 'item', resource: code });

    const { exposed } = generatedContract([declaration]);
    const top = schema.getQueryType()!.getFields()[exposed[0].fieldName];
    expect(guardOf(top)?.routes).toEqual([expect.objectContaining({ kind: 'key', argument: 'subject', resource: code })]);
    const onPerson = (schema.getType('Person') as GraphQLObjectType).getFields()[exposed[0].fieldName];
    expect(getNamedType(onPerson.type).name).toBe(`${declaration.graphqlType}Connection`);
    const count = (schema.getType(`${declaration.graphqlType}Connection`) as GraphQLObjectType).getFields().totalCount;
    expect(guardOf(count)?.decision).toEqual({ kind: 'count', resource: code });
  });

  test('a hand-written library is never generated over; a clash or a missing subject is skipped with its reason', async () => {
    const deposit = await read('catalog/resources/financial-institutions.deposit.json');
    const person = await read('catalog/resources/population.person.json');
    const { exposed, skipped } = generatedContract([
      person,
      deposit,
      { ...deposit, code: 'financial-institutions.deposit-copy' },
      { ...deposit, code: 'test.nosubject', graphqlType: 'Nameless', subject: undefined, items: deposit.items.map((i) => ({ ...i, name: i.name === 'idNumber' ? 'holder' : i.name })) },
      { ...deposit, code: 'test.entity-tax', graphqlType: 'EntityTax', subject: undefined, items: [{ ...deposit.items[0], name: 'taxpayerCreditCode', identifiesPerson: false, mask: undefined }] },
    ]);
    expect(exposed.map((e) => [e.code, e.fieldName, e.subjectOf])).toEqual([
      ['financial-institutions.deposit', 'deposits', 'person'],
      ['test.entity-tax', 'entityTaxes', 'legal-entity'],
    ]);
    expect(skipped).toEqual([
      { code: 'financial-institutions.deposit-copy', reason: expect.stringMatching(/Deposit .*already used/) },
      { code: 'test.nosubject', reason: expect.stringMatching(/no subject item/) },
    ]);
    const withEntity = buildSchema({ departments: [{ ...deposit, code: 'test.entity-tax', graphqlType: 'EntityTax', subject: 'taxpayerCreditCode', items: [{ ...deposit.items[0], name: 'taxpayerCreditCode', identifiesPerson: false, mask: undefined }] }] });
    expect((withEntity.getType('LegalEntity') as GraphQLObjectType).getFields().entityTaxes).toBeDefined();
  });
});

describe('a dataset imported from a spreadsheet, with no file and no code', () => {
  let hub: TestHub;
  let dir: string;
  beforeAll(async () => {
    hub = await startTestHub();
    dir = await mkdtemp(path.join(tmpdir(), 'huitong-dept-sheet-'));
  });
  afterAll(async () => {
    await hub?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('is validated against a schema derived from its items and queryable by subject at once', async () => {
    const header = [...SHEET_RESOURCE_COLUMNS, ...SHEET_ITEM_COLUMNS];
    const resource = {
      code: 'test.vehicle', name: '测试机动车登记信息', nameEn: 'Test vehicles', summary: 'Motor vehicles registered to persons for tests.', provider: 'public-security',
      class: 'department', category: '公安', graphqlType: 'TestVehicle', sharingType: 'unconditional', sharingMethods: 'query', open: '否', updateCycle: 'daily',
      publishedAt: '2026-12-03', subject: 'ownerIdNumber',
    };
    const items = [
      { itemName: 'ownerIdNumber', itemType: 'string', sensitivity: 'personal', identifiesPerson: 'yes', mask: 'id-number', itemRequired: 'yes' },
      { itemName: 'plate', itemType: 'string', sensitivity: 'internal', identifiesPerson: 'no', itemRequired: 'yes' },
      { itemName: 'registeredOn', itemType: 'date', sensitivity: 'internal', identifiesPerson: 'no' },
    ];
    const rows = items.map((it, i) => header.map((h) => ({ ...(i === 0 ? resource : { code: resource.code }), itemTitle: it.itemName, itemDescription: `the ${it.itemName}`, ...it } as Record<string, string>)[h] ?? ''));
    const file = path.join(dir, 'vehicles.csv');
    await writeFile(file, `${[header, ...rows].map((r) => r.join(',')).join('\n')}\n`);
    const actor = { department: 'data-bureau', system: 'huitong-catalog-import', roles: ['platform-admin'] };
    const report = await importCatalog(hub.db.pool, file, { actor: 'catalog import', reason: 'test', trail: { log: hub.services.audit.log, actor, action: 'catalog import', arguments: null } });
    expect(report.map((r) => r.change)).toEqual(['registered', 'registered', 'registered']);
    await hub.services.catalog.reload();

    const validator = await recordValidator(hub.db.pool, 'test.vehicle');
    expect(validator!.validate({ ownerIdNumber: '431102198503120211', plate: '湘M12345', registeredOn: '2024-05-01' })).toBe(true);
    expect(validator!.validate({ ownerIdNumber: '431102198503120211', registeredOn: 'yesterday' })).toBe(false);

    await upsertDepartmentRecord(hub.owner.pool, {
      resource: 'test.vehicle', recordKey: '湘M12345', subject: '431102198503120211',
      payload: { ownerIdNumber: '431102198503120211', plate: '湘M12345', registeredOn: '2024-05-01' }, sourceSystem: 'public-security/vehicles',
    });
    const res = await hub.as('civil-affairs', { purpose: 'low-income-verification' }).query(`{ testVehicles(subject: "431102198503120211") { edges { node { ownerIdNumber plate registeredOn } } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.testVehicles.edges).toEqual([{ node: { ownerIdNumber: '431102198503120211', plate: '湘M12345', registeredOn: '2024-05-01' } }]);
  });
});
