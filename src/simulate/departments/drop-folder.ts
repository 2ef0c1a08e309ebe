import { appendFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { Prng } from '../prng.js';
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
  /** Share of rows written twice (fixed per record). (Default: 0) */
  duplicateRate?: number;
  /** Rows in shuffled order. (Default: false) */
  reorder?: boolean;
  /** CSV only: the bytes' encoding; `gb18030` as many departments' exports are (GBK). (Default: utf-8, with a BOM) */
  encoding?: 'utf-8' | 'gb18030';
  /** Only this share of the file's bytes, written in place: a copy that died half-way. (Default: the whole file, renamed into place) */
  truncateAt?: number;
}

let gbk: Map<string, number[]> | null = null;
/** GBK bytes of a text (the two-byte part of GB18030, every character of the synthetic city), from the platform's own decoder. */
export function encodeGbk(text: string): Buffer {
  if (!gbk) {
    gbk = new Map();
    const decoder = new TextDecoder('gb18030');
    for (let a = 0x81; a <= 0xfe; a++) {
      for (let b = 0x40; b <= 0xfe; b++) {
        if (b === 0x7f) continue;
        const ch = decoder.decode(Uint8Array.of(a, b));
        if (ch.length === 1 && ch !== '\ufffd' && !gbk.has(ch)) gbk.set(ch, [a, b]);
      }
    }
  }
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) out.push(code);
    else {
      const bytes = gbk.get(ch);
      if (!bytes) throw new Error(`${ch} has no two-byte GBK code`);
      out.push(...bytes);
    }
  }
  return Buffer.from(out);
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
  let records = Array.from({ length: rows }, (_, k) => {
    const i = from + k;
    const r = spec.record(i, ctx);
    return isMalformed(i, options.malformedRate ?? 0, ctx.seed) ? spec.malform(r) : r;
  }).flatMap((r, k) => (isMalformed(from + k, options.duplicateRate ?? 0, ctx.seed + 1) ? [r, r] : [r]));
  if (options.reorder) {
    const rng = new Prng(ctx.seed + from + 31);
    records = [...records];
    for (let k = records.length - 1; k > 0; k--) {
      const j = rng.int(0, k);
      [records[k], records[j]] = [records[j], records[k]];
    }
  }
  const header = Object.keys(spec.record(0, ctx));
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, options.name ?? `${dataset}-${from}.${options.format}`);
  let bytes: Buffer;
  if (options.format === 'csv') {
    const short = new Set(options.shortRows ?? []);
    const lines = [header.join(','), ...records.map((r, k) => (short.has(k) ? header.slice(0, -1) : header).map((h) => csvCell(r[h])).join(','))];
    const text = `${lines.join('\n')}\n`;
    bytes = options.encoding === 'gb18030' ? encodeGbk(text) : Buffer.from(`\uFEFF${text}`, 'utf8');
  } else {
    // Loaded when a spreadsheet is written, not with the hub: exceljs takes 0.2 s to load.
    const { default: ExcelJS } = await import('exceljs');
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('data');
    sheet.addRow(header);
    for (const r of records) sheet.addRow(header.map((h) => r[h] ?? null));
    bytes = Buffer.from(await book.xlsx.writeBuffer());
  }
  if (options.truncateAt !== undefined) {
    // A copy that died: the first part of the bytes, under the file's own name.
    await writeFile(file, bytes.subarray(0, Math.floor(bytes.length * options.truncateAt)));
    return file;
  }
  // Renamed into place whole, so the hub never reads a half-written file.
  await writeFile(`${file}.part`, bytes);
  await rename(`${file}.part`, file);
  return file;
}

/**
 * A file being copied into the drop folder under its own name, slowly: its bytes arrive in
 * `chunks` pieces over `durationMs`. `done` settles once the whole file is there.
 */
export async function dropFileSlowly(folder: string, dataset: string, ctx: DatasetContext, options: DropOptions & { durationMs: number; chunks?: number }): Promise<{ file: string; done: Promise<void> }> {
  const staging = path.join(folder, '.staging');
  const whole = await writeDropFile(staging, dataset, ctx, { ...options, truncateAt: undefined });
  const { readFile, rm } = await import('node:fs/promises');
  const bytes = await readFile(whole);
  await rm(staging, { recursive: true, force: true });
  const file = path.join(folder, path.basename(whole));
  const chunks = options.chunks ?? 20;
  const size = Math.ceil(bytes.length / chunks);
  await writeFile(file, bytes.subarray(0, size));
  const done = (async () => {
    for (let k = 1; k < chunks; k++) {
      await sleep(options.durationMs / chunks);
      await appendFile(file, bytes.subarray(k * size, (k + 1) * size));
    }
  })();
  return { file, done };
}
