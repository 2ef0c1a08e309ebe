import type pg from 'pg';
import { VERSION_COLUMNS, versionAt, withProvenance, type Provenance, type VersionedTable } from '../../db/index.js';

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

export interface ComponentFilter {
  category: string | null;
  divisionPrefix: string | null;
  status: string | null;
  near: { lng: number; lat: number; radiusMeters: number } | null;
}

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

function where(f: ComponentFilter, params: unknown[]): string {
  const clauses = ['valid_to is null'];
  if (f.category) clauses.push(`category = $${params.push(f.category)}`);
  if (f.status) clauses.push(`status = $${params.push(f.status)}`);
  if (f.divisionPrefix) clauses.push(`division_code like $${params.push(f.divisionPrefix)} || '%'`);
  if (f.near) {
    const centre = `ll_to_earth($${params.push(f.near.lat)}, $${params.push(f.near.lng)})`;
    const radius = `$${params.push(f.near.radiusMeters)}`;
    // The box test uses the GiST index; the distance test makes the circle exact.
    clauses.push(`earth_box(${centre}, ${radius}) @> ${EARTH}`, `earth_distance(${centre}, ${EARTH}) <= ${radius}`);
  }
  return clauses.join(' and ');
}

/** One page: nearest first with `near` (keyset: distance, code), else by code. */
export async function componentPage(
  pool: pg.Pool,
  f: ComponentFilter,
  after: { distance: number; code: string } | { code: string } | null,
  limit: number,
): Promise<CityComponent[]> {
  const params: unknown[] = [];
  const filter = where(f, params);
  if (f.near) {
    const distance = `earth_distance(ll_to_earth($${params.push(f.near.lat)}, $${params.push(f.near.lng)}), ${EARTH})`;
    const keyset = after && 'distance' in after ? `where (distance, code) > ($${params.push(after.distance)}::float8, $${params.push(after.code)})` : '';
    const sql = `select * from (select ${COLUMNS}, ${distance} as distance from city_component where ${filter}) nearby
      ${keyset} order by distance, code limit $${params.push(limit)}`;
    return (await pool.query(sql, params)).rows.map((r) => withProvenance<CityComponent>(r));
  }
  const keyset = after ? ` and code > $${params.push(after.code)}` : '';
  const sql = `select ${COLUMNS} from city_component where ${filter}${keyset} order by code limit $${params.push(limit)}`;
  return (await pool.query(sql, params)).rows.map((r) => withProvenance<CityComponent>(r));
}

export async function countComponents(pool: pg.Pool, f: ComponentFilter): Promise<number> {
  const params: unknown[] = [];
  const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from city_component where ${where(f, params)}`, params);
  return rows[0].n;
}
