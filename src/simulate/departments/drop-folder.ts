import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isMalformed, type DatasetContext } from './datasets.js';
import { datasetSpec } from './rest-server.js';

export interface DropOptions {
  /** First record index and how many. (Default: 0, 500) */
  from?: number;
  rows?: number;
  format: 'csv' | 'xlsx';
  /** Share of rows spoiled (fixed per record). (Default: 0) */
  malformedRate?: number;
  /** CSV only: rows written with a missing field, as a hand-edited export sometimes has. (Default: none) */
  shortRows?: number[];
  /** File name. (Default: `<dataset>-<from>.<format>`) */
  name?: string;
}

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Writes an export of a department dataset into a drop folder, as the department's staff would put it there. */
export async function writeDropFile(folder: string, dataset: string, ctx: DatasetContext, options: DropOptions): Promise<string> {
  const spec = datasetSpec(dataset);
  const from = options.from ?? 0;
  const rows = options.rows ?? 500;
  const records = Array.from({ length: rows }, (_, k) => {
    const i = from + k;
    const r = spec.record(i, ctx);
    return isMalformed(i, options.malformedRate ?? 0, ctx.seed) ? spec.malform(r) : r;
  });
  const header = Object.keys(spec.record(0, ctx));
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, options.name ?? `${dataset}-${from}.${options.format}`);
  if (options.format === 'csv') {
    const short = new Set(options.shortRows ?? []);
    const lines = [header.join(','), ...records.map((r, k) => (short.has(k) ? header.slice(0, -1) : header).map((h) => csvCell(r[h])).join(','))];
    await writeFile(`${file}.part`, `\uFEFF${lines.join('\n')}\n`);
  } else {
    // Loaded when a spreadsheet is written, not with the hub: exceljs takes 0.2 s to load.
    const { default: ExcelJS } = await import('exceljs');
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('data');
    sheet.addRow(header);
    for (const r of records) sheet.addRow(header.map((h) => r[h] ?? null));
    await book.xlsx.writeFile(`${file}.part`);
  }
  // Renamed into place whole, so the hub never reads a half-written file.
  const { rename } = await import('node:fs/promises');
  await rename(`${file}.part`, file);
  return file;
}
