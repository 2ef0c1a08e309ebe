import type pg from 'pg';
import { VERSION_COLUMNS, versionAt, withProvenance, type Provenance, type VersionedTable } from '../../db/index.js';
import { groupByOrdinal } from '../../server/connections.js';
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

/** What a list of observations is narrowed to, besides the division it is for. */
export interface ObservationFilter {
  indicatorCode: string | null;
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

/** Conditions of `f`; for the division `s.code` of a batch's `unnest` when `scoped`. */
function where(f: ObservationFilter, scoped: boolean, params: unknown[]): string {
  const clauses = [f.at ? versionAt(f.at, params.push(f.at)) : versionAt(null, 0)];
  if (scoped) clauses.push('o.division_code = s.code');
  if (f.indicatorCode) clauses.push(`o.indicator_code = $${params.push(f.indicatorCode)}`);
  if (f.fromMonth) clauses.push(`o.period_start >= $${params.push(f.fromMonth)}`);
  if (f.toMonth) clauses.push(`o.period_end <= $${params.push(f.toMonth)}`);
  return clauses.join(' and ');
}

function pageSql(f: ObservationFilter, scoped: boolean, after: ObservationKey | null, limit: number, params: unknown[]): string {
  let sql = `select o.division_code as "divisionCode", o.indicator_code as "indicatorCode", o.period, o.period_start as "periodStart",
      o.value::float8 as value, i.unit, ${VERSION_COLUMNS}
    from indicator_observation o join indicator i on i.code = o.indicator_code where ${where(f, scoped, params)}`;
  if (after) sql += ` and (o.period_start, o.indicator_code, o.division_code) > ($${params.push(after[0])}, $${params.push(after[1])}, $${params.push(after[2])})`;
  return `${sql} order by o.period_start, o.indicator_code, o.division_code limit $${params.push(limit)}`;
}

/** One page of observations of every division. */
export async function observationPage(pool: pg.Pool, f: ObservationFilter, after: ObservationKey | null, limit: number): Promise<Observation[]> {
  const params: unknown[] = [];
  return (await pool.query(pageSql(f, false, after, limit, params), params)).rows.map((r) => withProvenance<Observation>(r));
}

/** One page per division, in one query. */
export async function observationPagesIn(
  pool: pg.Pool,
  divisionCodes: string[],
  f: ObservationFilter,
  after: ObservationKey | null,
  limit: number,
): Promise<Observation[][]> {
  const params: unknown[] = [divisionCodes];
  const { rows } = await pool.query(
    `select s.ord, x.* from unnest($1::text[]) with ordinality as s(code, ord) cross join lateral (${pageSql(f, true, after, limit, params)}) x`,
    params,
  );
  return groupByOrdinal(rows, divisionCodes.length).map((page) => page.map((r) => withProvenance<Observation>(r)));
}

/** Counts of observations matching `f`: over all divisions, or per division when codes are given. */
export async function countObservations(pool: pg.Pool, f: ObservationFilter, divisionCodes: string[] | null): Promise<number[]> {
  if (!divisionCodes) {
    const params: unknown[] = [];
    const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from indicator_observation o where ${where(f, false, params)}`, params);
    return [rows[0].n];
  }
  const params: unknown[] = [divisionCodes];
  const { rows } = await pool.query<{ n: number }>(
    `select (select count(*)::int from indicator_observation o where ${where(f, true, params)}) as n
     from unnest($1::text[]) with ordinality as s(code, ord) order by s.ord`,
    params,
  );
  return rows.map((r) => r.n);
}
