import type pg from 'pg';
import { VERSION_COLUMNS, versionAt, withProvenance, type Provenance, type VersionedTable } from '../../db/index.js';
import { groupByOrdinal } from '../../server/connections.js';
import { descendantPrefix, underPrefix } from '../spatial/index.js';

/** Every SQL statement of the city-components library. */

export interface CityComponent {
  code: string;
  category: string;
  subclass: string;
  name: string;
  divisionCode: string;
  gridCode: string | null;
  addressCode: string | null;
  lng: number;
  lat: number;
  ownerDepartment: string;
  maintenanceUnit: string;
  status: string;
  lastInspectedOn: string | null;
  validFrom: string;
  validTo: string | null;
  provenance: Provenance;
  /** Metres from the `near` point, in near searches. */
  distance?: number;
}

/** What a list of components is narrowed to, besides the division it is scoped to. */
export interface ComponentFilter {
  category: string | null;
  status: string | null;
  near: { lng: number; lat: number; radiusMeters: number } | null;
}

/** Keyset position: (distance, code) in near searches, else code. */
export type ComponentCursor = { distance: number; code: string } | { code: string };

/** The versioned table, for `applyVersion` (connectors apply deliveries through it). */
export const COMPONENT_TABLE: VersionedTable = {
  table: 'city_component',
  key: ['code'],
  state: [['category', 'text'], ['subclass', 'text'], ['name', 'text'], ['division_code', 'text'], ['grid_code', 'text'],
    ['address_code', 'text'], ['location', 'point'], ['owner_department', 'text'], ['maintenance_unit', 'text'], ['status', 'text'],
    ['last_inspected_on', 'date']],
};

const COLUMNS = `code, category, subclass, name, division_code as "divisionCode", grid_code as "gridCode",
  address_code as "addressCode", location[0] as lng, location[1] as lat, owner_department as "ownerDepartment",
  maintenance_unit as "maintenanceUnit", status, last_inspected_on as "lastInspectedOn", ${VERSION_COLUMNS}`;

/** Earth position of a row, matching the expression of `city_component_earth_idx`. */
const EARTH = 'll_to_earth(location[1], location[0])';

export async function componentsByCode(pool: pg.Pool, codes: readonly string[], at: Date | null): Promise<CityComponent[]> {
  const { rows } = await pool.query(
    `select ${COLUMNS} from city_component where code = any($1) and ${versionAt(at, 2)}`,
    at ? [codes, at] : [codes],
  );
  return rows.map((r) => withProvenance<CityComponent>(r));
}

/**
 * The SQL of one page. Scoped to `s.prefix` (a division code prefix from the batch's `unnest`)
 * when `scoped`; params are appended to `params`.
 */
function pageSql(f: ComponentFilter, scoped: boolean, after: ComponentCursor | null, limit: number, params: unknown[]): string {
  const filter = where(f, scoped, params);
  if (f.near) {
    const distance = `earth_distance(ll_to_earth($${params.push(f.near.lat)}, $${params.push(f.near.lng)}), ${EARTH})`;
    const keyset = after && 'distance' in after ? `where (distance, code) > ($${params.push(after.distance)}::float8, $${params.push(after.code)})` : '';
    return `select * from (select ${COLUMNS}, ${distance} as distance from city_component where ${filter}) nearby
      ${keyset} order by distance, code limit $${params.push(limit)}`;
  }
  const keyset = after ? ` and code > $${params.push(after.code)}` : '';
  return `select ${COLUMNS} from city_component where ${filter}${keyset} order by code limit $${params.push(limit)}`;
}

function where(f: ComponentFilter, scoped: boolean, params: unknown[]): string {
  const clauses = ['valid_to is null'];
  // The identifier starts with the county, so the county's range of codes bounds the index scan.
  if (scoped) clauses.push(underPrefix('division_code', 's.prefix'), underPrefix('code', 'left(s.prefix, 6)'));
  if (f.category) clauses.push(`category = $${params.push(f.category)}`);
  if (f.status) clauses.push(`status = $${params.push(f.status)}`);
  if (f.near) {
    const centre = `ll_to_earth($${params.push(f.near.lat)}, $${params.push(f.near.lng)})`;
    const radius = `$${params.push(f.near.radiusMeters)}`;
    // The box test uses the GiST index; the distance test makes the circle exact.
    clauses.push(`earth_box(${centre}, ${radius}) @> ${EARTH}`, `earth_distance(${centre}, ${EARTH}) <= ${radius}`);
  }
  return clauses.join(' and ');
}

/** One page of all current components: nearest first with `near`, else by code. */
export async function componentPage(pool: pg.Pool, f: ComponentFilter, after: ComponentCursor | null, limit: number): Promise<CityComponent[]> {
  const params: unknown[] = [];
  const { rows } = await pool.query(pageSql(f, false, after, limit, params), params);
  return rows.map((r) => withProvenance<CityComponent>(r));
}

/** One page per division (in it and under it), in one query. */
export async function componentPagesIn(
  pool: pg.Pool,
  divisionCodes: string[],
  f: ComponentFilter,
  after: ComponentCursor | null,
  limit: number,
): Promise<CityComponent[][]> {
  const params: unknown[] = [divisionCodes.map(descendantPrefix)];
  const { rows } = await pool.query(
    `select s.ord, x.* from unnest($1::text[]) with ordinality as s(prefix, ord)
     cross join lateral (${pageSql(f, true, after, limit, params)}) x`,
    params,
  );
  return groupByOrdinal(rows, divisionCodes.length).map((page) => page.map((r) => withProvenance<CityComponent>(r)));
}

/** Counts of current components matching `f`: over all, or per division when codes are given. */
export async function countComponents(pool: pg.Pool, f: ComponentFilter, divisionCodes: string[] | null): Promise<number[]> {
  if (!divisionCodes) {
    const params: unknown[] = [];
    const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from city_component where ${where(f, false, params)}`, params);
    return [rows[0].n];
  }
  const params: unknown[] = [divisionCodes.map(descendantPrefix)];
  const { rows } = await pool.query<{ n: number }>(
    `select (select count(*)::int from city_component where ${where(f, true, params)}) as n
     from unnest($1::text[]) with ordinality as s(prefix, ord) order by s.ord`,
    params,
  );
  return rows.map((r) => r.n);
}
