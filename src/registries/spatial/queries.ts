import type pg from 'pg';
import { VERSION_COLUMNS, versionAt, withProvenance, type Provenance, type VersionedTable } from '../../db/index.js';
import { groupByOrdinal } from '../../server/connections.js';
import { descendantPrefix } from './codes.js';
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

/**
 * SQL condition: the code `column` (collated "C") starts with the prefix `expr`. Written as a range
 * (codes are digits, and ':' follows '9') so that the column's btree index serves it even when the
 * prefix is a per-row value of a batched query, where `like` cannot use one.
 */
export const underPrefix = (column: string, expr: string) =>
  `${column} >= (${expr}) collate "C" and ${column} < (${expr} || ':') collate "C"`;

/** The same for `division.code` (default collation), through its `text_pattern_ops` index. */
const divisionUnder = (expr: string) => `d.code ~>=~ ${expr} and d.code ~<~ (${expr} || ':')`;

/** A page of keyset rows per parent: codes after `after`, at most `limit`. */
export interface CodePage {
  after: string;
  limit: number;
}

/** For each division, its current descendants at `level` (by code prefix, itself excluded). */
export async function descendantPages(pool: pg.Pool, codes: string[], level: string, page: CodePage): Promise<Division[][]> {
  const { rows } = await pool.query(
    `select s.ord, x.* from unnest($1::text[], $2::text[]) with ordinality as s(prefix, self, ord)
     cross join lateral (${DIVISION} where d.level = $3 and d.valid_to is null and ${divisionUnder('s.prefix')}
       and d.code <> s.self and d.code > $4 order by d.code limit $5) x`,
    [codes.map(descendantPrefix), codes, level, page.after, page.limit],
  );
  return groupByOrdinal(rows, codes.length).map((page) => page.map((r) => division(r as Division)));
}

export async function countDescendants(pool: pg.Pool, codes: string[], level: string): Promise<number[]> {
  const { rows } = await pool.query<{ n: number }>(
    `select (select count(*)::int from division d where d.level = $3 and d.valid_to is null
       and ${divisionUnder('s.prefix')} and d.code <> s.self) as n
     from unnest($1::text[], $2::text[]) with ordinality as s(prefix, self, ord) order by s.ord`,
    [codes.map(descendantPrefix), codes, level],
  );
  return rows.map((r) => r.n);
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

/** For each division, the current grids in it and under it, by code. */
export async function gridPages(pool: pg.Pool, divisionCodes: string[], page: CodePage): Promise<Grid[][]> {
  const { rows } = await pool.query(
    `select s.ord, x.* from unnest($1::text[]) with ordinality as s(prefix, ord)
     cross join lateral (${GRID} where valid_to is null and ${underPrefix('code', 's.prefix')} and code > $2
       order by code limit $3) x`,
    [divisionCodes.map(descendantPrefix), page.after, page.limit],
  );
  return groupByOrdinal(rows, divisionCodes.length).map((page) => page.map(grid));
}

export async function countGrids(pool: pg.Pool, divisionCodes: string[]): Promise<number[]> {
  const { rows } = await pool.query<{ n: number }>(
    `select (select count(*)::int from grid where valid_to is null and ${underPrefix('code', 's.prefix')}) as n
     from unnest($1::text[]) with ordinality as s(prefix, ord) order by s.ord`,
    [divisionCodes.map(descendantPrefix)],
  );
  return rows.map((r) => r.n);
}

const ADDRESS = `select code, full_text as "fullText", division_code as "divisionCode", grid_code as "gridCode", road,
  house_number as "houseNumber", location[0] as lng, location[1] as lat, ${VERSION_COLUMNS} from address`;

export async function addressesByCode(pool: pg.Pool, codes: readonly string[], at: Date | null): Promise<Address[]> {
  const { rows } = await pool.query(`${ADDRESS} where code = any($1) and ${versionAt(at, 2)}`, at ? [codes, at] : [codes]);
  return rows.map((r) => withProvenance<Address>(r));
}

/** Current addresses of divisions (in them and under them) or of grids. */
export type AddressScope = 'division' | 'grid';

const addressScope = (scope: AddressScope) =>
  // Addresses are numbered under their village, so a division's addresses are a range of codes.
  scope === 'grid' ? 'grid_code = s.parent' : underPrefix('code', 's.parent');
const addressParents = (scope: AddressScope, codes: string[]) => (scope === 'grid' ? codes : codes.map(descendantPrefix));

export async function addressPages(pool: pg.Pool, scope: AddressScope, codes: string[], page: CodePage): Promise<Address[][]> {
  const { rows } = await pool.query(
    `select s.ord, x.* from unnest($1::text[]) with ordinality as s(parent, ord)
     cross join lateral (${ADDRESS} where valid_to is null and ${addressScope(scope)} and code > $2 order by code limit $3) x`,
    [addressParents(scope, codes), page.after, page.limit],
  );
  return groupByOrdinal(rows, codes.length).map((page) => page.map((r) => withProvenance<Address>(r)));
}

export async function countAddresses(pool: pg.Pool, scope: AddressScope, codes: string[]): Promise<number[]> {
  const { rows } = await pool.query<{ n: number }>(
    `select (select count(*)::int from address where valid_to is null and ${addressScope(scope)}) as n
     from unnest($1::text[]) with ordinality as s(parent, ord) order by s.ord`,
    [addressParents(scope, codes)],
  );
  return rows.map((r) => r.n);
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
