import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { expand, type FileSource } from '../definition.js';
import type { RawRecord } from '../mapping.js';
import type { BatchOutcome, Page, Position, Source, SourceContext } from './types.js';

const EXTENSIONS = { csv: ['.csv'], xlsx: ['.xlsx'] } as const;

/**
 * A CSV's text in its declared encoding. Bytes not valid in it fail the file (it is rejected with
 * the reason), since reading a GBK export as UTF-8 would apply every Chinese name garbled.
 */
export function decodeCsv(content: Buffer, encoding: 'utf-8' | 'gb18030'): string {
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(content);
  } catch {
    throw new Error(
      encoding === 'utf-8'
        ? 'the file is not valid UTF-8 (a GBK/GB18030 export? then say "encoding": "gb18030" in the connector\'s source)'
        : `the file is not valid ${encoding}`,
    );
  }
}

/** Rows of a CSV (header row first), every value as text; a row of the wrong width is kept as unparsed. */
function csvRows(content: string, delimiter: string): { rows: RawRecord[]; unparsed: { payload: unknown; error: string; row: number }[] } {
  const lines = parseCsv(content, { bom: true, delimiter, relax_column_count: true, skip_empty_lines: true }) as string[][];
  const [header, ...body] = lines;
  if (!header?.length) throw new Error('no header row');
  const rows: RawRecord[] = [];
  const unparsed: { payload: unknown; error: string; row: number }[] = [];
  // An export ends with a line end: one that does not was cut short (a copy that died), and its
  // last row may have lost the end of a value while keeping every field. Kept in quarantine, not applied.
  const cut = body.length > 0 && !/[\r\n]$/.test(content);
  body.forEach((cells, i) => {
    if (cut && i === body.length - 1) {
      unparsed.push({ payload: { row: i + 2, cells }, error: `row ${i + 2} is the last of a file that ends without a line end: it may be cut short`, row: i });
      rows.push({ __unparsed: i });
      return;
    }
    if (cells.length !== header.length) unparsed.push({ payload: { row: i + 2, cells }, error: `row ${i + 2} has ${cells.length} fields, the header ${header.length}`, row: i });
    rows.push(cells.length === header.length ? Object.fromEntries(header.map((h, j) => [h.trim(), cells[j]])) : { __unparsed: i });
  });
  return { rows, unparsed };
}

async function xlsxRows(content: Buffer, sheetName: string | undefined): Promise<RawRecord[]> {
  // Loaded when a spreadsheet is read, not with the hub: exceljs takes 0.2 s to load.
  const { default: ExcelJS } = await import('exceljs');
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(content as unknown as ArrayBuffer);
  const sheet = sheetName ? book.getWorksheet(sheetName) : book.worksheets[0];
  if (!sheet) throw new Error(sheetName ? `no worksheet "${sheetName}"` : 'no worksheet');
  const header: string[] = [];
  sheet.getRow(1).eachCell((cell, col) => (header[col - 1] = String(cell.text).trim()));
  if (!header.length) throw new Error('no header row');
  const rows: RawRecord[] = [];
  for (let r = 2; r <= sheet.actualRowCount; r++) {
    const row = sheet.getRow(r);
    if (!row.hasValues) continue;
    const record: RawRecord = {};
    header.forEach((h, i) => {
      const cell = row.getCell(i + 1);
      const v = cell.value;
      record[h] = v instanceof Date ? v.toISOString().slice(0, 10) : v === null || v === undefined ? '' : typeof v === 'object' ? cell.text : v;
    });
    rows.push(record);
  }
  return rows;
}

/**
 * CSV or XLSX files dropped in a folder. Each file is taken in once, by its SHA-256: its rows go
 * through the same steps as any record, in batches whose position is (checksum, rows done), and
 * the batch that finishes a file also marks its checksum as taken in. Then the file moves to
 * `done/` (or, when it cannot be read at all, `rejected/`) with a report beside it. A file seen
 * again (same checksum) is moved to `done/` with a report saying so, and nothing is re-applied;
 * one rejected before is read again (nothing of it was applied; its definition may be fixed).
 */
export function fileSource(ctx: SourceContext): Source {
  const { definition, env, pool, logger } = ctx;
  const spec = definition.source as FileSource;
  const folder = expand(spec.folder, env, definition.id);

  async function move(file: string, to: 'done' | 'rejected', report: Record<string, unknown>) {
    const dir = path.join(folder, to);
    await mkdir(dir, { recursive: true });
    const name = path.basename(file);
    let target = path.join(dir, name);
    if (existsSync(target)) target = path.join(dir, `${Date.now()}-${name}`);
    await rename(file, target);
    await writeFile(`${target}.report.json`, `${JSON.stringify({ file: name, ...report }, null, 2)}\n`);
    logger.info({ connector: definition.id, file: name, to }, 'drop file processed');
  }

  const markTaken = (checksum: string, name: string, outcome: 'done' | 'rejected', rows: number) => async (client: { query: typeof pool.query }) => {
    await client.query(
      `insert into sync_file (connector, checksum, file_name, run_id, outcome, rows) values ($1, $2, $3, $4, $5, $6) on conflict (connector, checksum) do update set file_name = excluded.file_name, run_id = excluded.run_id, outcome = excluded.outcome, rows = excluded.rows, taken_at = now()
       where sync_file.outcome = 'rejected'`,
      [definition.id, checksum, name, ctx.runId, outcome, rows],
    );
  };

  /**
   * Files still being written (copied in, exported in place) are left for the next run: a file
   * modified lately is looked at twice, `settleMs` apart, and taken only if neither its size nor
   * its modification time moved in between.
   */
  async function settled(names: string[]): Promise<string[]> {
    const settleMs = spec.settleMs ?? 200;
    if (!settleMs) return names;
    const look = async (name: string) => {
      const s = await stat(path.join(folder, name)).catch(() => null);
      return s ? `${s.size}:${s.mtimeMs}` : null;
    };
    const recent: [string, string | null][] = [];
    for (const name of names) {
      const s = await stat(path.join(folder, name)).catch(() => null);
      if (s && Date.now() - s.mtimeMs < Math.max(2000, settleMs * 10)) recent.push([name, `${s.size}:${s.mtimeMs}`]);
    }
    if (!recent.length) return names;
    await sleep(settleMs);
    const moving = new Set<string>();
    for (const [name, before] of recent) if ((await look(name)) !== before) moving.add(name);
    if (moving.size) logger.info({ connector: definition.id, files: [...moving] }, 'drop files still being written: left for the next run');
    return names.filter((n) => !moving.has(n));
  }

  return {
    async *pages(from: Position | null): AsyncIterable<Page> {
      if (!existsSync(folder)) return;
      const listed = (await readdir(folder, { withFileTypes: true }))
        .filter((e) => e.isFile() && (EXTENSIONS[spec.format] as readonly string[]).includes(path.extname(e.name).toLowerCase()))
        .map((e) => e.name)
        .sort();
      const names = await settled(listed);
      for (const name of names) {
        const file = path.join(folder, name);
        const content = await readFile(file);
        const checksum = createHash('sha256').update(content).digest('hex');
        const { rows: taken } = await pool.query<{ run_id: string; outcome: string }>('select run_id, outcome from sync_file where connector = $1 and checksum = $2', [definition.id, checksum]);
        // A file taken in is never applied twice. One rejected before (unreadable, or not in the
        // encoding the definition said) is read again: nothing of it was applied, and the
        // definition may have been fixed since.
        if (taken[0]?.outcome === 'done') {
          await move(file, 'done', { checksum, outcome: 'already taken in', run: taken[0].run_id, by: 'an earlier run; nothing applied again' });
          continue;
        }
        let rows: RawRecord[];
        let unparsedRows = new Map<number, { payload: unknown; error: string }>();
        try {
          if (spec.format === 'csv') {
            const read = csvRows(decodeCsv(content, spec.encoding ?? 'utf-8'), spec.delimiter ?? ',');
            rows = read.rows;
            unparsedRows = new Map(read.unparsed.map((u) => [u.row, u]));
          } else rows = await xlsxRows(content, spec.sheet);
        } catch (err) {
          const reason = (err as Error).message;
          yield {
            records: [],
            position: null,
            inTransaction: markTaken(checksum, name, 'rejected', 0),
            committed: () => move(file, 'rejected', { checksum, outcome: 'rejected', reason, run: ctx.runId }),
          };
          continue;
        }
        // A killed run resumes inside the file it was taking in.
        const start = from && 'file' in from && from.file === checksum ? from.row : 0;
        const totals: BatchOutcome = { fetched: 0, applied: 0, unchanged: 0, quarantined: 0 };
        if (start >= rows.length) {
          yield { records: [], position: { file: checksum, row: rows.length }, inTransaction: markTaken(checksum, name, 'done', rows.length), committed: () => move(file, 'done', { checksum, outcome: 'done', rows: rows.length, run: ctx.runId, resumed: true }) };
          continue;
        }
        for (let i = start; i < rows.length; i += ctx.batchSize) {
          const end = Math.min(rows.length, i + ctx.batchSize);
          const records: RawRecord[] = [];
          const unparsed: { payload: unknown; error: string }[] = [];
          for (let r = i; r < end; r++) {
            const bad = unparsedRows.get(r);
            if (bad) unparsed.push(bad);
            else records.push(rows[r]);
          }
          const lastOfFile = end === rows.length;
          yield {
            records,
            unparsed,
            position: { file: checksum, row: end },
            inTransaction: lastOfFile ? markTaken(checksum, name, 'done', rows.length) : undefined,
            committed: async (outcome) => {
              for (const k of Object.keys(totals) as (keyof BatchOutcome)[]) totals[k] += outcome[k];
              if (lastOfFile) await move(file, 'done', { checksum, outcome: 'done', rows: rows.length, run: ctx.runId, ...(start ? { resumedAtRow: start } : {}), ...totals });
            },
          };
        }
      }
    },
    async close() {},
  };
}
