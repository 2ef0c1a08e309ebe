import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type pg from 'pg';
import type { DeclarationProblem } from './declaration.js';
import { applyDeclarations, type Change, type DeclarationInput, type Outcome } from './resources.js';

/** Resource columns: filled on a resource's first row, and on later rows either empty or the same. */
export const RESOURCE_COLUMNS = [
  'code', 'name', 'nameEn', 'summary', 'provider', 'class', 'category', 'graphqlType', 'sharingType', 'sharingConditions',
  'sharingMethods', 'open', 'openConditions', 'updateCycle', 'publishedAt', 'related', 'recordSchema', 'format',
  'subject', 'foundBy',
] as const;
/** Item columns: one data item per row. */
export const ITEM_COLUMNS = ['itemName', 'itemTitle', 'itemType', 'itemDescription', 'sensitivity', 'identifiesPerson', 'mask', 'itemRequired'] as const;
const KNOWN = new Set<string>([...RESOURCE_COLUMNS, ...ITEM_COLUMNS]);

type Cells = Record<string, string>;
interface SheetRow {
  /** Row number as a spreadsheet shows it (the header is row 1). */
  row: number;
  cells: Cells;
}

/** What a dry run (or an import) says of one row. */
export interface RowReport {
  row: number;
  code: string | null;
  change: Outcome['change'];
  problems: string[];
}

/** Reads the first sheet of an `.xlsx`, or a `.csv` (UTF-8, with or without BOM); row 1 holds the column names. */
export async function readCatalogSheet(file: string): Promise<{ rows: SheetRow[]; problems: string[]; header: string[] }> {
  const ext = path.extname(file).toLowerCase();
  let table: string[][];
  if (ext === '.csv') {
    table = parse(await readFile(file), { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  } else if (ext === '.xlsx') {
    // Loaded when a spreadsheet is read: exceljs takes a second to load, which the hub's start does not need.
    const { default: ExcelJS } = await import('exceljs');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    const sheet = workbook.worksheets[0];
    table = [];
    sheet?.eachRow({ includeEmpty: true }, (row, n) => {
      const values: string[] = [];
      row.eachCell({ includeEmpty: true }, (cell, col) => {
        values[col - 1] = cell.text ?? '';
      });
      table[n - 1] = Array.from(values, (v) => v ?? '');
    });
    table = Array.from(table, (r) => r ?? []);
  } else {
    return { rows: [], problems: [`${path.basename(file)}: only .xlsx and .csv are read`], header: [] };
  }
  const [header = [], ...body] = table;
  const names = header.map((h) => String(h).trim());
  const unknown = names.filter((n) => n && !KNOWN.has(n));
  const missing = ['code', 'itemName'].filter((n) => !names.includes(n));
  const problems = [
    ...unknown.map((n) => `row 1: unknown column "${n}"; the columns are: ${[...KNOWN].join(', ')}`),
    ...missing.map((n) => `row 1: the column "${n}" is missing`),
  ];
  const rows = body
    .map((values, i) => ({ row: i + 2, cells: Object.fromEntries(names.map((n, c) => [n, String(values[c] ?? '').trim()])) }))
    .filter((r) => Object.values(r.cells).some(Boolean));
  return { rows, problems, header: names };
}

const list = (v: string) => v.split(/[,;，；、]/).map((s) => s.trim()).filter(Boolean);

/**
 * An empty cell is an absent value, as people (and Excel, WPS, openpyxl) leave them: empty
 * strings, and objects and lists left empty by them, are dropped, so that the declaration check
 * says "required" of a required one and nothing of an optional one.
 */
function absentIfEmpty(value: unknown): unknown {
  if (value === '' || value === undefined) return undefined;
  if (Array.isArray(value)) {
    const kept = value.map(absentIfEmpty).filter((v) => v !== undefined);
    return kept.length ? kept : undefined;
  }
  if (value && typeof value === 'object') {
    const kept = Object.entries(value).map(([k, v]) => [k, absentIfEmpty(v)] as const).filter(([, v]) => v !== undefined);
    return kept.length ? Object.fromEntries(kept) : undefined;
  }
  return value;
}

/** The spreadsheet column of each declaration key (items' keys under `items[i]`). */
const COLUMN_OF: Record<string, string> = {
  code: 'code', name: 'name', nameEn: 'nameEn', summary: 'summary', provider: 'provider', 'classification.class': 'class',
  'classification.category': 'category', classification: 'class', graphqlType: 'graphqlType', 'sharing.type': 'sharingType',
  sharing: 'sharingType', 'sharing.conditions': 'sharingConditions', 'sharing.methods': 'sharingMethods', 'open.open': 'open', open: 'open',
  'open.conditions': 'openConditions', updateCycle: 'updateCycle', publishedAt: 'publishedAt', related: 'related', recordSchema: 'recordSchema',
  format: 'format', items: 'itemName', 'item.name': 'itemName', 'item.title': 'itemTitle', 'item.type': 'itemType',
  'item.description': 'itemDescription', 'item.sensitivity': 'sensitivity', 'item.identifiesPerson': 'identifiesPerson', 'item.mask': 'mask',
};

/** Column letters as a spreadsheet shows them: 0 → A, 25 → Z, 26 → AA. */
const letter = (index: number): string => (index < 26 ? '' : letter(Math.floor(index / 26) - 1)) + String.fromCharCode(65 + (index % 26));

/**
 * A declaration problem as the person filling the sheet reads it. A required value that is absent
 * says so, naming the column (the row is the report's): `column itemTitle (S): required, but the
 * cell is empty`. Other problems keep the declaration's path and message.
 */
function sheetProblem(problem: DeclarationProblem, header: readonly string[]): string {
  const required = /^must have required property '([^']+)'$/.exec(problem.message);
  if (required) {
    const full = problem.path ? `${problem.path}.${required[1]}` : required[1];
    const column = COLUMN_OF[full.replace(/^items\[\d+\]\./, 'item.')];
    if (column) {
      const at = header.indexOf(column);
      return `column ${column}${at >= 0 ? ` (${letter(at)})` : ''}: required, but the cell is empty`;
    }
  }
  return `${problem.path || '/'}: ${problem.message}`;
}
const BOOLEAN: Record<string, boolean> = { yes: true, true: true, 是: true, y: true, '1': true, no: false, false: false, 否: false, n: false, '0': false };
/** A boolean, or the text as written so that the declaration check names it. */
const bool = (v: string): boolean | string => BOOLEAN[v.toLowerCase()] ?? v;
const optional = (key: string, v: string | undefined) => (v ? { [key]: v } : {});

function declarationOf(first: Cells, items: Cells[]): unknown {
  return absentIfEmpty({
    code: first.code,
    name: first.name,
    nameEn: first.nameEn,
    summary: first.summary,
    provider: first.provider,
    classification: { class: first.class, category: first.category },
    graphqlType: first.graphqlType,
    items: items.map((c) => ({
      name: c.itemName,
      title: c.itemTitle,
      type: c.itemType,
      description: c.itemDescription,
      sensitivity: c.sensitivity,
      identifiesPerson: bool(c.identifiesPerson ?? ''),
      ...optional('mask', c.mask),
      ...(c.itemRequired ? { required: bool(c.itemRequired) } : {}),
    })),
    sharing: { type: first.sharingType, ...optional('conditions', first.sharingConditions), methods: list(first.sharingMethods ?? '') },
    open: { open: bool(first.open ?? ''), ...optional('conditions', first.openConditions) },
    updateCycle: first.updateCycle,
    publishedAt: first.publishedAt,
    ...(first.related ? { related: list(first.related) } : {}),
    // An empty cell: the record schema is derived from the items (no file needed).
    ...optional('recordSchema', first.recordSchema),
    ...optional('format', first.format),
    ...optional('subject', first.subject),
    ...(first.foundBy ? { foundBy: list(first.foundBy) } : {}),
  });
}

/**
 * Imports a catalogue kept in a spreadsheet: one row per data item, the resource's columns on its
 * first row (later rows may repeat them). All or nothing, like `catalog sync`; a dry run stores
 * nothing and says for each row what would be registered, updated, left unchanged or refused, and why.
 */
export async function importCatalog(pool: pg.Pool, file: string, change: Change, options: { dryRun?: boolean } = {}): Promise<RowReport[]> {
  const { rows, problems, header } = await readCatalogSheet(file);
  if (problems.length) return [{ row: 1, code: null, change: 'refused', problems }];
  const groups = new Map<string, SheetRow[]>();
  const reports: RowReport[] = [];
  for (const r of rows) {
    if (!r.cells.code) reports.push({ row: r.row, code: null, change: 'refused', problems: [`column code (${letter(header.indexOf('code'))}): required, but the cell is empty`] });
    else groups.set(r.cells.code, [...(groups.get(r.cells.code) ?? []), r]);
  }
  const rowProblems = new Map<number, string[]>();
  const note = (row: number, p: string) => rowProblems.set(row, [...(rowProblems.get(row) ?? []), p]);
  const inputs: DeclarationInput[] = [];
  const rowsOf = new Map<string, SheetRow[]>();
  for (const group of groups.values()) {
    const [first] = group;
    for (const r of group.slice(1)) {
      for (const column of RESOURCE_COLUMNS) {
        const value = r.cells[column];
        if (value && first.cells[column] !== value) note(r.row, `${column}: "${value}" differs from row ${first.row} ("${first.cells[column] ?? ''}")`);
      }
    }
    const source = `${path.basename(file)} rows ${first.row}-${group[group.length - 1].row}`;
    inputs.push({ source, data: declarationOf(first.cells, group.map((r) => r.cells)) });
    rowsOf.set(source, group);
  }
  const outcomes = await applyDeclarations(pool, inputs, change, { dryRun: true });
  const refused = outcomes.some((o) => o.change === 'refused') || rowProblems.size > 0 || reports.length > 0;
  for (const o of outcomes) {
    const group = rowsOf.get(o.source)!;
    if (o.change === 'refused') for (const p of o.problems) note(rowFor(group, p), sheetProblem(p, header));
    const groupRefused = o.change === 'refused' || group.some((r) => rowProblems.has(r.row));
    for (const r of group) {
      reports.push({ row: r.row, code: o.code, change: groupRefused ? 'refused' : o.change, problems: rowProblems.get(r.row) ?? [] });
    }
  }
  reports.sort((a, b) => a.row - b.row);
  if (!options.dryRun && !refused) await applyDeclarations(pool, inputs, change);
  return reports;
}

/** The row a problem belongs to: its item's row for `items[i]…`, else the resource's first row. */
function rowFor(group: SheetRow[], problem: DeclarationProblem): number {
  const item = /^items\[(\d+)\]/.exec(problem.path);
  return item ? (group[Number(item[1])]?.row ?? group[0].row) : group[0].row;
}
