import { afterAll, beforeAll, expect, test } from 'vitest';
import { SHEET_ITEM_COLUMNS, SHEET_RESOURCE_COLUMNS } from '../../src/catalog/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(() => hub?.close());

const header = [...SHEET_RESOURCE_COLUMNS, ...SHEET_ITEM_COLUMNS];
const resource = {
  code: 'health.sheet-visits', name: '门诊记录', nameEn: 'Outpatient visits', summary: '门诊就诊记录 outpatient visits', provider: 'health',
  class: 'department', category: '卫生健康', graphqlType: 'Visit', sharingType: 'conditional', sharingConditions: '仅限医保经办',
  sharingMethods: 'query', open: '否', updateCycle: 'daily', publishedAt: '2026-11-24', recordSchema: 'schemas/records/population.person.json',
};
const item = (name: string, over: Record<string, string> = {}) => ({
  itemName: name, itemTitle: `${name} 标题`, itemType: 'string', itemDescription: `the ${name}`, sensitivity: 'personal', identifiesPerson: 'no', ...over,
});
const csv = (rows: Record<string, string>[]) => Buffer.from(`${header.join(',')}\n${rows.map((r) => header.map((h) => r[h] ?? '').join(',')).join('\n')}\n`).toString('base64');

const IMPORT = `mutation($sheet: String!, $dry: Boolean!) { importCatalogSheet(sheet: $sheet, fileName: "visits.csv", dryRun: $dry, reason: "门诊目录") { stored rows { row code change problems } } }`;
const admin = () => hub.as('data-bureau', { roles: ['catalog-admin'] });
const entries = async () =>
  (await hub.db.pool.query(`select outcome, change -> 'arguments' ->> 'dryRun' as dry from audit_entry where operation_name = 'importCatalogSheet' order by seq`)).rows;

test('a dry run reports each row with its problems and stores nothing; the run is audited', async () => {
  const sheet = csv([{ ...resource, ...item('patientIdNumber') }, { code: resource.code, ...item('diagnosis', { sensitivity: 'secret' }) }]);
  const res = await admin().query(IMPORT, { sheet, dry: true });
  expect(res.errors).toBeUndefined();
  expect(res.data.importCatalogSheet.stored).toBe(false);
  expect(res.data.importCatalogSheet.rows).toEqual([
    { row: 2, code: resource.code, change: 'refused', problems: [] },
    { row: 3, code: resource.code, change: 'refused', problems: ['items[1].sensitivity: "secret" is not one of: public, internal, personal, sensitive'] },
  ]);
  expect((await hub.db.pool.query(`select 1 from catalog_resource where code = $1`, [resource.code])).rowCount).toBe(0);
  expect(await entries()).toEqual([{ outcome: 'ok', dry: 'true' }]);
});

test('after a clean dry run, the import stores the resource, entered once in the audit trail', async () => {
  const sheet = csv([{ ...resource, ...item('patientIdNumber', { mask: 'id-number', identifiesPerson: 'yes' }) }, { code: resource.code, ...item('diagnosis', { sensitivity: 'sensitive' }) }]);
  const dry = await admin().query(IMPORT, { sheet, dry: true });
  expect(dry.data.importCatalogSheet.rows.map((r: { change: string }) => r.change)).toEqual(['registered', 'registered']);
  const real = await admin().query(IMPORT, { sheet, dry: false });
  expect(real.data.importCatalogSheet).toMatchObject({ stored: true });
  const stored = await hub.query(`{ catalogResource(code: "${resource.code}") { version items { name sensitivity mask } } }`, undefined, await admin().headers());
  expect(stored.data.catalogResource.items).toEqual([
    { name: 'patientIdNumber', sensitivity: 'personal', mask: 'id-number' },
    { name: 'diagnosis', sensitivity: 'sensitive', mask: null },
  ]);
  expect((await entries()).slice(-2)).toEqual([{ outcome: 'ok', dry: 'true' }, { outcome: 'ok', dry: 'false' }]);
});

test('another department cannot import, and a file that is no spreadsheet is refused with the argument', async () => {
  const refused = await hub.as('health', { roles: ['catalog-admin'] }).query(IMPORT, { sheet: csv([]), dry: true });
  expect(refused.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'operator-only' });
  expect((await entries()).at(-1)).toEqual({ outcome: 'denied:FORBIDDEN', dry: 'true' });
  const odd = await admin().query(`mutation { importCatalogSheet(sheet: "eA==", fileName: "x.ods", dryRun: true, reason: "r") { stored } }`);
  expect(odd.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'fileName' });
});
