import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { SHEET_ITEM_COLUMNS, SHEET_RESOURCE_COLUMNS } from '../../src/catalog/index.js';
import { createTestDatabase } from '../support/hub.js';

const CLI = path.resolve(import.meta.dirname, '../../bin/huitong.js');
const run = promisify(execFile);

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let dir: string;
const huitong = (...args: string[]) =>
  run(process.execPath, [CLI, ...args], { env: { ...process.env, DATABASE_URL: database.url, HUITONG_DATA_DIR: dir, LOG_LEVEL: 'silent' } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

beforeAll(async () => {
  database = await createTestDatabase();
  dir = await mkdtemp(path.join(tmpdir(), 'huitong-catalog-cli-'));
});
afterAll(async () => {
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

test('huitong catalog sync reports each declaration file, unchanged when already registered', async () => {
  const { code, stdout } = await huitong('catalog', 'sync');
  expect(code).toBe(0);
  expect(stdout).toMatch(/^unchanged\s+spatial\.division \(version 1\)$/m);
});

test('huitong catalog import --dry-run lists each row and stores nothing; a refused row fails the command', async () => {
  const header = [...SHEET_RESOURCE_COLUMNS, ...SHEET_ITEM_COLUMNS];
  const values: Record<string, string> = {
    code: 'test.grid', name: '网格', nameEn: 'Grids', summary: '网格 grids', provider: 'natural-resources', class: 'base', category: '空间',
    graphqlType: 'Grid', sharingType: 'unconditional', sharingMethods: 'query', open: 'no', updateCycle: 'monthly', publishedAt: '2026-11-24',
    recordSchema: 'schemas/records/spatial.division.json', itemName: 'code', itemTitle: '网格编码', itemType: 'string', itemDescription: 'Grid code',
    sensitivity: 'public', identifiesPerson: 'no',
  };
  const file = path.join(dir, 'grids.csv');
  await writeFile(file, `${header.join(',')}\n${header.map((h) => values[h] ?? '').join(',')}\n`);
  const ok = await huitong('catalog', 'import', file, '--dry-run');
  expect(ok.code).toBe(0);
  expect(ok.stdout).toMatch(/^row 2\s+registered\s+test\.grid$/m);
  expect(ok.stdout).toContain('dry run: nothing stored');
  expect((await database.db.pool.query(`select 1 from catalog_resource where code = 'test.grid'`)).rowCount).toBe(0);

  await writeFile(file, `${header.join(',')}\n${header.map((h) => (h === 'sensitivity' ? 'secret' : (values[h] ?? ''))).join(',')}\n`);
  const refused = await huitong('catalog', 'import', file);
  expect(refused.code).toBe(1);
  expect(refused.stdout).toMatch(/row 2\s+refused\s+test\.grid\n  - items\[0\]\.sensitivity: "secret" is not one of/);

  expect((await huitong('catalog', 'export')).code).toBe(2);
});

test('huitong catalog import --dry-run writes nothing, departments and purposes included', async () => {
  await database.db.pool.query(`update department set name = '改过的名称' where code = 'tax'`);
  await database.db.pool.query(`update purpose set legal_basis = '改过的依据' where code = 'low-income-verification'`);
  const header = [...SHEET_RESOURCE_COLUMNS, ...SHEET_ITEM_COLUMNS];
  const file = path.join(dir, 'empty.csv');
  await writeFile(file, `${header.join(',')}\n`);
  const entries = async () => (await database.db.pool.query('select count(*)::int as n from audit_entry')).rows[0].n;
  const before = await entries();
  const res = await huitong('catalog', 'import', file, '--dry-run');
  expect(res.stdout).toMatch(/would change: department tax, purpose low-income-verification/);
  expect((await database.db.pool.query(`select name from department where code = 'tax'`)).rows[0].name).toBe('改过的名称');
  expect((await database.db.pool.query(`select legal_basis from purpose where code = 'low-income-verification'`)).rows[0].legal_basis).toBe('改过的依据');
  expect(await entries()).toBe(before);
});

test('huitong catalog sync is entered in the audit trail with what it changed', async () => {
  const res = await huitong('catalog', 'sync');
  expect(res.code).toBe(0);
  const { rows } = await database.db.pool.query(`select department, system, operation_name as action, change from audit_entry order by seq`);
  expect(rows).toEqual([
    {
      department: 'data-bureau',
      system: 'huitong-catalog-sync',
      action: 'catalog registers sync',
      change: expect.objectContaining({ detail: { changed: ['department tax', 'purpose low-income-verification'] } }),
    },
  ]);
  expect((await database.db.pool.query(`select name from department where code = 'tax'`)).rows[0].name).not.toBe('改过的名称');
});
