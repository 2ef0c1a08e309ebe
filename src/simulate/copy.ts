import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A value as PostgreSQL's COPY text format takes it; arrays are text[]. */
export type CopyValue = string | number | null | readonly string[];

const escape = (s: string) => s.replace(/[\\\t\n\r]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\\\'));

function field(value: CopyValue): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return escape(value);
  // Array literal; element quoting keeps commas and braces inside names harmless.
  return escape(`{${value.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`);
}

/** One table's rows, gathered as COPY text lines until written. */
export class CopyBuffer {
  private lines: string[] = [];

  constructor(
    readonly table: string,
    readonly columns: readonly string[],
  ) {}

  add(values: readonly CopyValue[]): void {
    this.lines.push(values.map(field).join('\t'));
  }

  get size(): number {
    return this.lines.length;
  }

  /** Streams the gathered rows with one COPY … FROM STDIN, and empties the buffer. */
  async flush(client: pg.ClientBase): Promise<number> {
    const lines = this.lines;
    if (!lines.length) return 0;
    this.lines = [];
    const stream = client.query(copyFrom(`copy ${this.table} (${this.columns.join(', ')}) from stdin`));
    async function* chunks() {
      for (let i = 0; i < lines.length; i += 2000) yield `${lines.slice(i, i + 2000).join('\n')}\n`;
    }
    await pipeline(Readable.from(chunks()), stream);
    return lines.length;
  }
}

/**
 * Writes `rows` into `table` with one COPY … FROM STDIN: the demo's places (grids, addresses,
 * components) load several times faster than as `insert … select from unnest(…)` batches, whose
 * arrays PostgreSQL parses and then inserts through the executor row by row.
 */
export async function copyRows(client: pg.ClientBase, table: string, columns: readonly string[], rows: readonly (readonly CopyValue[])[]): Promise<number> {
  const buffer = new CopyBuffer(table, columns);
  for (const row of rows) buffer.add(row);
  return buffer.flush(client);
}
