import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { importCatalog, SHEET_ITEM_COLUMNS, SHEET_RESOURCE_COLUMNS } from '../../src/catalog/index.js';
import { createAudit, type Audit } from '../../src/audit/index.js';
import type { Change } from '../../src/catalog/index.js';
import { createTestDatabase } from '../support/hub.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let dir: string;
const header = [...SHEET_RESOURCE_COLUMNS, ...SHEET_ITEM_COLUMNS];
let audit: Audit;
// An import is stored only with its audit entry (issue 10.6).
let change: Change;

const grid = {
  code: 'test.grid', name: '网格', nameEn: 'Grids', summary: '城市管理网格 city management grids', provider: 'natural-resources',
  class: 'base', category: '自然资源和空间地理', graphqlType: 'Grid', sharingType: 'unconditional', sharingConditions: '',
  sharingMethods: 'query, sync', open: '否', openConditions: '', updateCycle: 'monthly', publishedAt: '2026-11-24', related: 'spatial.division',
  recordSchema: 'schemas/records/spatial.division.json', format: '',
};
const item = (name: string, over: Record<string, string> = {}) => ({
  itemName: name, itemTitle: `${name} 标题`, itemType: 'string', itemDescription: `the ${name}`, sensitivity: 'public', identifiesPerson: 'no', mask: '', ...over,
});
const row = (resource: Record<string, string>, it: Record<string, string>) => header.map((h) => ({ ...resource, ...it })[h] ?? '');

async function csv(name: string, rows: string[][]): Promise<string> {
  const file = path.join(dir, name);
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  await writeFile(file, `\uFEFF${[header, ...rows].map((r) => r.map(quote).join(',')).join('\n')}\n`);
  return file;
}

beforeAll(async () => {
  database = await createTestDatabase();
  dir = await mkdtemp(path.join(tmpdir(), 'huitong-sheet-'));
  audit = await createAudit(dir, database.db, { checkpointFilePath: path.join(dir, 'audit-checkpoints.jsonl') });
  const actor = { department: 'data-bureau', system: 'huitong-catalog-import', roles: ['platform-admin'] };
  change = { actor: 'catalog import', reason: 'test', trail: { log: audit.log, actor, action: 'catalog import', arguments: null } };
});
afterAll(async () => {
  await audit?.log.close();
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

test('a dry run of a CSV says per row what would be created or refused, and why, and stores nothing', async () => {
  const file = await csv('catalog.csv', [
    row(grid, item('code')),
    row({ code: 'test.grid' }, item('name', { sensitivity: 'secret' })),
    row({ code: 'test.grid', provider: 'tax' }, item('area', { itemType: 'number' })),
    row({ ...grid, code: 'test.address', name: '地址', graphqlType: 'Address' }, item('code')),
    row({ code: 'test.address' }, item('text', { identifiesPerson: 'yes', sensitivity: 'personal', mask: 'name' })),
  ]);
  const report = await importCatalog(database.db.pool, file, change, { dryRun: true });
  expect(report).toEqual([
    { row: 2, code: 'test.grid', change: 'refused', problems: [] },
    { row: 3, code: 'test.grid', change: 'refused', problems: ['items[1].sensitivity: "secret" is not one of: public, internal, personal, sensitive'] },
    { row: 4, code: 'test.grid', change: 'refused', problems: ['provider: "tax" differs from row 2 ("natural-resources")'] },
    { row: 5, code: 'test.address', change: 'registered', problems: [] },
    { row: 6, code: 'test.address', change: 'registered', problems: [] },
  ]);
  const { rows } = await database.db.pool.query(`select code from catalog_resource where code like 'test.%' order by code`);
  expect(rows).toEqual([]);
});

test('an XLSX import registers its resources; importing it again changes nothing, and a changed cell updates one', async () => {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('目录');
  sheet.addRow(header);
  sheet.addRow(row(grid, item('code')));
  sheet.addRow(row({ code: 'test.grid' }, item('name')));
  const file = path.join(dir, 'catalog.xlsx');
  await workbook.xlsx.writeFile(file);

  expect((await importCatalog(database.db.pool, file, change)).map((r) => r.change)).toEqual(['registered', 'registered']);
  expect((await importCatalog(database.db.pool, file, change)).map((r) => r.change)).toEqual(['unchanged', 'unchanged']);
  sheet.getRow(3).getCell(header.indexOf('itemTitle') + 1).value = '网格名称';
  await workbook.xlsx.writeFile(file);
  expect((await importCatalog(database.db.pool, file, change, { dryRun: true })).map((r) => r.change)).toEqual(['updated', 'updated']);
  const { rows } = await database.db.pool.query(`select declaration -> 'items' -> 1 ->> 'title' as title, version from catalog_resource where code = 'test.grid'`);
  expect(rows).toEqual([{ title: 'name 标题', version: 1 }]);
});

test('unknown columns and files other than XLSX or CSV are refused before anything is read', async () => {
  const file = path.join(dir, 'odd.csv');
  await writeFile(file, 'code,itemName,colour\ntest.grid,code,blue\n');
  expect(await importCatalog(database.db.pool, file, change, { dryRun: true })).toEqual([
    { row: 1, code: null, change: 'refused', problems: [expect.stringMatching(/^row 1: unknown column "colour"/)] },
  ]);
  expect((await importCatalog(database.db.pool, path.join(dir, 'catalog.ods'), change))[0].problems).toEqual(['catalog.ods: only .xlsx and .csv are read']);
});
