import type pg from 'pg';
import { VERSION_COLUMNS, versionAt, withProvenance, type Provenance, type VersionedTable } from '../../db/index.js';
import { ringOf, POINT_AS_POLYGON } from './geometry.js';

/** Every SQL statement of the spatial library. Versioned rows are read current (`at` null) or as of an instant. */

export interface Division {
  code: string;
  name: string;
  level: string;
  statisticalOnly: boolean;
  validTo: string | null;
  parentCode: string | null;
  lng: number | null;
  lat: number | null;
  boundary: number[][] | null;
}

export interface Grid {
  code: string;
  name: string;
  divisionCode: string;
  keeperName: string | null;
  keeperPhone: string | null;
  lng: number;
  lat: number;
  boundary: number[][];
  validFrom: string;
  validTo: string | null;
  provenance: Provenance;
}

export interface Address {
  code: string;
  fullText: string;
  divisionCode: string;
  gridCode: string;
  road: string;
  houseNumber: string;
  lng: number;
  lat: number;
  validFrom: string;
  validTo: string | null;
  provenance: Provenance;
}

const DIVISION = `select d.code, d.name, d.level, d.statistical_only as "statisticalOnly", d.valid_to as "validTo",
  d.parent_code as "parentCode", g.centroid[0] as lng, g.centroid[1] as lat, g.boundary::text as boundary
  from division d left join division_geometry g using (code)`;

const division = (row: Division & { boundary: unknown }): Division => ({ ...row, boundary: ringOf(row.boundary as string | null) });

export async function divisionsByCode(pool: pg.Pool, codes: readonly string[]): Promise<Division[]> {
  return (await pool.query(`${DIVISION} where d.code = any($1)`, [codes])).rows.map(division);
}

export async function divisionsUnder(pool: pg.Pool, parents: readonly string[]): Promise<Division[]> {
  return (await pool.query(`${DIVISION} where d.parent_code = any($1) order by d.code`, [parents])).rows.map(division);
}

export async function provinces(pool: pg.Pool): Promise<Division[]> {
  return (await pool.query(`${DIVISION} where d.level = 'province' and d.valid_to is null order by d.code`)).rows.map(division);
}

/** Current divisions at `level` whose codes start with `prefix`, other than `self`, after code `after`. */
export async function descendantPage(pool: pg.Pool, q: { prefix: string; self: string; level: string; after: string; limit: number }) {
  const { rows } = await pool.query(
    `${DIVISION} where d.level = $1 and d.valid_to is null and d.code like $2 || '%' and d.code <> $3 and d.code > $4
     order by d.code limit $5`,
    [q.level, q.prefix, q.self, q.after, q.limit],
  );
  return rows.map(division);
}

export async function countDescendants(pool: pg.Pool, q: { prefix: string; self: string; level: string }): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `select count(*)::int as n from division where level = $1 and valid_to is null and code like $2 || '%' and code <> $3`,
    [q.level, q.prefix, q.self],
  );
  return rows[0].n;
}

/** The versioned tables, for `applyVersion` (connectors apply deliveries through it). */
export const GRID_TABLE: VersionedTable = {
  table: 'grid',
  key: ['code'],
  state: [['name', 'text'], ['division_code', 'text'], ['keeper_name', 'text'], ['keeper_phone', 'text'], ['boundary', 'polygon'], ['centroid', 'point']],
};
export const ADDRESS_TABLE: VersionedTable = {
  table: 'address',
  key: ['code'],
  state: [['full_text', 'text'], ['division_code', 'text'], ['grid_code', 'text'], ['road', 'text'], ['house_number', 'text'], ['location', 'point']],
};

const GRID = `select code, name, division_code as "divisionCode", keeper_name as "keeperName", keeper_phone as "keeperPhone",
  centroid[0] as lng, centroid[1] as lat, boundary::text as boundary, ${VERSION_COLUMNS} from grid`;

const grid = (row: Record<string, unknown>): Grid => {
  const g = withProvenance<Grid>(row);
  return { ...g, boundary: ringOf(row.boundary as string)! };
};

export async function gridsByCode(pool: pg.Pool, codes: readonly string[], at: Date | null): Promise<Grid[]> {
  const { rows } = await pool.query(`${GRID} where code = any($1) and ${versionAt(at, 2)}`, at ? [codes, at] : [codes]);
  return rows.map(grid);
}

export async function gridPage(pool: pg.Pool, q: { divisionPrefix: string; after: string; limit: number }): Promise<Grid[]> {
  const { rows } = await pool.query(
    `${GRID} where valid_to is null and division_code like $1 || '%' and code > $2 order by code limit $3`,
    [q.divisionPrefix, q.after, q.limit],
  );
  return rows.map(grid);
}

export async function countGrids(pool: pg.Pool, divisionPrefix: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `select count(*)::int as n from grid where valid_to is null and division_code like $1 || '%'`,
    [divisionPrefix],
  );
  return rows[0].n;
}

const ADDRESS = `select code, full_text as "fullText", division_code as "divisionCode", grid_code as "gridCode", road,
  house_number as "houseNumber", location[0] as lng, location[1] as lat, ${VERSION_COLUMNS} from address`;

export async function addressesByCode(pool: pg.Pool, codes: readonly string[], at: Date | null): Promise<Address[]> {
  const { rows } = await pool.query(`${ADDRESS} where code = any($1) and ${versionAt(at, 2)}`, at ? [codes, at] : [codes]);
  return rows.map((r) => withProvenance<Address>(r));
}

/** Current addresses in a division (by code prefix) or in a grid. */
export type AddressScope = { divisionPrefix: string } | { gridCode: string };

const addressScope = (scope: AddressScope) =>
  'gridCode' in scope
    ? { where: 'grid_code = $1', value: scope.gridCode }
    : { where: `division_code like $1 || '%'`, value: scope.divisionPrefix };

export async function addressPage(pool: pg.Pool, scope: AddressScope, after: string, limit: number): Promise<Address[]> {
  const { where, value } = addressScope(scope);
  const { rows } = await pool.query(
    `${ADDRESS} where valid_to is null and ${where} and code > $2 order by code limit $3`,
    [value, after, limit],
  );
  return rows.map((r) => withProvenance<Address>(r));
}

export async function countAddresses(pool: pg.Pool, scope: AddressScope): Promise<number> {
  const { where, value } = addressScope(scope);
  const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from address where valid_to is null and ${where}`, [value]);
  return rows[0].n;
}

/**
 * The divisions whose geometry holds the point, widest first, and the current grid that holds it,
 * in one round trip.
 */
export async function locatePoint(pool: pg.Pool, lng: number, lat: number): Promise<{ divisions: Division[]; grid: string | null }> {
  const { rows } = await pool.query(
    `select located.*, held_by."gridCode" from (${DIVISION} where g.boundary @> ${POINT_AS_POLYGON}) located
     left join lateral (select code as "gridCode" from grid
       where valid_to is null and boundary @> ${POINT_AS_POLYGON} order by code limit 1) held_by on true
     order by array_position(array['province', 'prefecture', 'county', 'township', 'village'], located.level), located.code`,
    [lng, lat],
  );
  return { divisions: rows.map(({ gridCode: _, ...row }) => division(row)), grid: rows[0]?.gridCode ?? null };
}
