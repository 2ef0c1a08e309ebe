import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAudit, type Audit } from '../../src/audit/index.js';
import { importCatalog, SHEET_ITEM_COLUMNS, SHEET_RESOURCE_COLUMNS, type Change } from '../../src/catalog/index.js';
import { createTestDatabase } from '../support/hub.js';
import { writeXlsx } from './xlsx-writer.js';

/**
 * Spreadsheets as people fill them: files written by another tool than the one that reads them
 * (here a hand-made XLSX writer, as openpyxl writes: shared strings, no cell where nothing was
 * typed), with optional cells left empty. An empty cell is an absent value; a missing required
 * value is named by row and column; a refused import ends the command with its report.
 */
const header = [...SHEET_RESOURCE_COLUMNS, ...SHEET_ITEM_COLUMNS];
const resource: Record<string, string> = {
  code: 'test.parks', name: '公园', nameEn: 'Parks', summary: '城市公园 city parks', provider: 'urban-management', class: 'base',
  category: '城市管理', graphqlType: 'Park', sharingType: 'unconditional', sharingMethods: 'query', open: '否', updateCycle: 'monthly',
  publishedAt: '2026-11-24', recordSchema: 'schemas/records/spatial.division.json',
};
const item = (name: string, over: Record<string, string | null> = {}): Record<string, string | null> => ({
  itemName: name, itemTitle: `${name} 名称`, itemType: 'string', itemDescription: `the park's ${name}`, sensitivity: 'public', identifiesPerson: 'no', ...over,
});
/** A sheet row: absent cells (`null`) where nothing was typed, as openpyxl writes them. */
const row = (cells: Record<string, string | null>) => header.map((h) => cells[h] ?? null);
const column = (name: string) => String.fromCharCode(65 + (header as readonly string[]).indexOf(name));

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let dir: string;
let audit: Audit;
let change: Change;

beforeAll(async () => {
  database = await createTestDatabase();
  dir = await mkdtemp(path.join(tmpdir(), 'huitong-edge-sheet-'));
  audit = await createAudit(dir, database.db, { checkpointFilePath: path.join(dir, 'audit-checkpoints.jsonl') });
  const actor = { department: 'data-bureau', system: 'huitong-catalog-import', roles: ['platform-admin'] };
  change = { actor: 'catalog import', reason: 'test', trail: { log: audit.log, actor, action: 'catalog import', arguments: null } };
});
afterAll(async () => {
  await audit?.log.close();
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('a catalogue spreadsheet written by another tool', () => {
  test('empty optional cells are absent values: the sheet is accepted', async () => {
    const file = path.join(dir, 'parks.xlsx');
    await writeXlsx(file, [
      header,
      // sharingConditions, openConditions, related, format and mask: no cell at all.
      row({ ...resource, ...item('code') }),
      // Later rows leave the resource's columns out; an optional cell written as an empty string.
      row({ code: 'test.parks', ...item('name', { mask: '' }) }),
    ]);
    expect(await importCatalog(database.db.pool, file, change, { dryRun: true })).toEqual([
      { row: 2, code: 'test.parks', change: 'registered', problems: [] },
      { row: 3, code: 'test.parks', change: 'registered', problems: [] },
    ]);
    expect((await importCatalog(database.db.pool, file, change)).map((r) => r.change)).toEqual(['registered', 'registered']);
    const { rows } = await database.db.pool.query(`select declaration from catalog_resource where code = 'test.parks'`);
    expect(rows[0].declaration.items[1]).not.toHaveProperty('mask');
    expect(rows[0].declaration.sharing).not.toHaveProperty('conditions');
  });

  test('a required value left empty is named by its row and column, and said to be required', async () => {
    const file = path.join(dir, 'gaps.xlsx');
    await writeXlsx(file, [
      header,
      row({ ...resource, code: 'test.gaps', graphqlType: null, ...item('code') }),
      row({ code: 'test.gaps', ...item('name', { itemDescription: null, itemTitle: '' }) }),
    ]);
    const report = await importCatalog(database.db.pool, file, change, { dryRun: true });
    expect(report).toEqual([
      { row: 2, code: 'test.gaps', change: 'refused', problems: [`column graphqlType (${column('graphqlType')}): required, but the cell is empty`] },
      {
        row: 3, code: 'test.gaps', change: 'refused',
        problems: expect.arrayContaining([
          `column itemTitle (${column('itemTitle')}): required, but the cell is empty`,
          `column itemDescription (${column('itemDescription')}): required, but the cell is empty`,
        ]),
      },
    ]);
    // Nothing said about patterns or lengths of values nobody typed.
    expect(JSON.stringify(report)).not.toMatch(/must match pattern|fewer than 1 characters/);
  });

  test('a row without a code names the code column', async () => {
    const file = path.join(dir, 'nocode.xlsx');
    await writeXlsx(file, [header, row({ ...resource, code: null, ...item('code') })]);
    expect((await importCatalog(database.db.pool, file, change, { dryRun: true }))[0]).toEqual({
      row: 2, code: null, change: 'refused', problems: [`column code (${column('code')}): required, but the cell is empty`],
    });
  });
});

describe('huitong catalog import of a refused sheet', () => {
  const CLI = path.resolve(import.meta.dirname, '../../bin/huitong.js');
  const run = promisify(execFile);

  test('ends with its report and a one-line reason: exit 1, no log line, no stack trace', async () => {
    const file = path.join(dir, 'refused.xlsx');
    await writeXlsx(file, [header, row({ ...resource, code: 'test.refused', graphqlType: null, ...item('code') })]);
    const result = await run(process.execPath, [CLI, 'catalog', 'import', file], {
      env: { ...process.env, DATABASE_URL: database.url, HUITONG_DATA_DIR: dir, LOG_LEVEL: 'info' },
    }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`row 2\\s+refused\\s+test\\.refused\\n  - column graphqlType \\(${column('graphqlType')}\\): required, but the cell is empty`));
    expect(result.stderr).toMatch(/^huitong catalog: refused, nothing stored/m);
    expect(result.stderr).not.toMatch(/"level":\s*50|\n\s+at \S+ \(/);
    expect(result.stdout).not.toMatch(/"level":\s*50|\n\s+at \S+ \(/);
  });
});
