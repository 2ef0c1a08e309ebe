import type pg from 'pg';

/** A column of a bulk insert: its name and PostgreSQL type (`text`, `numeric`, `polygon`…). */
export type Column = readonly [name: string, type: string];

/**
 * Inserts rows in batches of `batch`, one `insert … select from unnest(…)` per batch: one round
 * trip per batch instead of per row.
 */
export async function unnestInsert(
  client: pg.ClientBase,
  table: string,
  columns: readonly Column[],
  rows: readonly unknown[][],
  batch = 10_000,
): Promise<void> {
  const names = columns.map(([name]) => name).join(', ');
  const arrays = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  const sql = `insert into ${table} (${names}) select * from unnest(${arrays})`;
  for (let start = 0; start < rows.length; start += batch) {
    const slice = rows.slice(start, start + batch);
    await client.query(sql, columns.map((_, i) => slice.map((row) => row[i])));
  }
}
