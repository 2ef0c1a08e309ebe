import type pg from 'pg';
import { VERSION_COLUMNS, versionAt, withProvenance, type Provenance, type VersionedTable } from '../../db/index.js';
import type { IndicatorDefinition } from './definitions.js';

/** Every SQL statement of the economy library. */

/** The versioned table, for `applyVersion` (connectors apply deliveries through it). */
export const OBSERVATION_TABLE: VersionedTable = {
  table: 'indicator_observation',
  key: ['indicator_code', 'division_code', 'period'],
  state: [['value', 'numeric']],
};

export interface Observation {
  divisionCode: string;
  indicatorCode: string;
  period: string;
  periodStart: string;
  value: number;
  unit: string;
  validFrom: string;
  validTo: string | null;
  provenance: Provenance;
}

export interface ObservationFilter {
  indicatorCode: string | null;
  divisionCode: string | null;
  /** First and last month (YYYY-MM) the periods must lie within. */
  fromMonth: string | null;
  toMonth: string | null;
  at: Date | null;
}

export async function indicatorDefinitions(pool: pg.Pool): Promise<IndicatorDefinition[]> {
  const { rows } = await pool.query<IndicatorDefinition>(
    `select code, name, name_en as "nameEn", unit, frequency from indicator order by code`,
  );
  return rows;
}

/** Keyset: (period start, indicator, division). */
export type ObservationKey = [string, string, string];

function where(f: ObservationFilter, params: unknown[]): string {
  const clauses = [f.at ? versionAt(f.at, params.push(f.at)) : versionAt(null, 0)];
  if (f.indicatorCode) clauses.push(`o.indicator_code = $${params.push(f.indicatorCode)}`);
  if (f.divisionCode) clauses.push(`o.division_code = $${params.push(f.divisionCode)}`);
  if (f.fromMonth) clauses.push(`o.period_start >= $${params.push(f.fromMonth)}`);
  if (f.toMonth) clauses.push(`o.period_end <= $${params.push(f.toMonth)}`);
  return clauses.join(' and ');
}

export async function observationPage(pool: pg.Pool, f: ObservationFilter, after: ObservationKey | null, limit: number): Promise<Observation[]> {
  const params: unknown[] = [];
  let sql = `select o.division_code as "divisionCode", o.indicator_code as "indicatorCode", o.period, o.period_start as "periodStart",
      o.value::float8 as value, i.unit, ${VERSION_COLUMNS}
    from indicator_observation o join indicator i on i.code = o.indicator_code where ${where(f, params)}`;
  if (after) sql += ` and (o.period_start, o.indicator_code, o.division_code) > ($${params.push(after[0])}, $${params.push(after[1])}, $${params.push(after[2])})`;
  sql += ` order by o.period_start, o.indicator_code, o.division_code limit $${params.push(limit)}`;
  return (await pool.query(sql, params)).rows.map((r) => withProvenance<Observation>(r));
}

export async function countObservations(pool: pg.Pool, f: ObservationFilter): Promise<number> {
  const params: unknown[] = [];
  const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from indicator_observation o where ${where(f, params)}`, params);
  return rows[0].n;
}
