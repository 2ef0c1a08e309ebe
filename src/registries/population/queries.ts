import type pg from 'pg';
import { orderBy, rankColumn, searchConnection, searchPage, type Connection, type SearchOrder } from '../../server/connections.js';
import { VERSION_COLUMNS, asOfParams, keyed, nameMatch, readAt, validAt, type AsOf, type Versioned } from '../records.js';

/** Every SQL statement of the population library. */

export interface PersonRow extends Versioned {
  idNumber: string;
  name: string;
  formerNames: string[];
  gender: 'male' | 'female';
  birthDate: string;
  ethnicity: string;
  residenceDivisionCode: string;
  address: string | null;
  maritalStatus: string;
  status: string;
  householdNumber: string | null;
  relationToHead: string | null;
}

export interface HouseholdRow extends Versioned {
  number: string;
  headIdNumber: string;
  address: string;
  divisionCode: string;
}

export interface PersonFilter {
  name: string | null;
  divisionPrefix: string | null;
  bornFrom: string | null;
  bornTo: string | null;
  status: string | null;
}

const PERSON = `id_number as "idNumber", name, former_names as "formerNames", gender, birth_date as "birthDate", ethnicity,
  residence_division as "residenceDivisionCode", address, marital_status as "maritalStatus", status,
  household_number as "householdNumber", relation_to_head as "relationToHead", ${VERSION_COLUMNS}`;

const HOUSEHOLD = `number, head_id_number as "headIdNumber", address, division_code as "divisionCode", ${VERSION_COLUMNS}`;

/** Persons by ID number, as they stood at `asOf`: one prepared statement for the whole batch. */
export async function personsByIdNumber(pool: pg.Pool, ids: string[], asOf: AsOf): Promise<Map<string, PersonRow>> {
  const key = keyed('id_number', ids);
  const { rows } = await pool.query<PersonRow>({
    name: `population.persons-by-id.${key.form}.${asOf ? 'at' : 'now'}`,
    text: `select ${PERSON} from person where ${key.condition} and ${validAt(asOf, 2)}`,
    values: [key.value, ...asOfParams(asOf)],
  });
  return new Map(readAt(rows, asOf).map((r) => [r.idNumber, r]));
}

/** Members of households, the head first, then by birth. */
export async function membersOfHouseholds(pool: pg.Pool, numbers: string[], asOf: AsOf): Promise<PersonRow[]> {
  const { rows } = await pool.query<PersonRow>(
    `select ${PERSON} from person where household_number = any($1) and ${validAt(asOf, 2)}
     order by household_number, relation_to_head = 'head' desc, birth_date, id_number`,
    [numbers, ...asOfParams(asOf)],
  );
  return readAt(rows, asOf);
}

export async function householdsByNumber(pool: pg.Pool, numbers: string[], asOf: AsOf): Promise<Map<string, HouseholdRow>> {
  const { rows } = await pool.query<HouseholdRow>(
    `select ${HOUSEHOLD} from household where number = any($1) and ${validAt(asOf, 2)}`,
    [numbers, ...asOfParams(asOf)],
  );
  return new Map(readAt(rows, asOf).map((r) => [r.number, r]));
}

function where(filter: PersonFilter): { sql: string; params: unknown[]; order: SearchOrder } {
  const conditions = ['valid_to is null'];
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  let order: SearchOrder = { rank: null, key: 'id_number' };
  if (filter.name) {
    const match = nameMatch(filter.name, param, 'id_number');
    conditions.push(match.condition);
    order = match.order;
  }
  if (filter.divisionPrefix) conditions.push(`residence_division like ${param(`${filter.divisionPrefix}%`)}`);
  if (filter.bornFrom) conditions.push(`birth_date >= ${param(filter.bornFrom)}`);
  if (filter.bornTo) conditions.push(`birth_date <= ${param(filter.bornTo)}`);
  if (filter.status) conditions.push(`status = ${param(filter.status)}`);
  return { sql: conditions.join(' and '), params, order };
}

/** One page of current persons matching the filter: best name matches first, then by ID number. */
export async function searchPersons(
  pool: pg.Pool,
  filter: PersonFilter,
  args: { first?: number | null; after?: string | null },
): Promise<Connection<PersonRow>> {
  const { sql, params, order } = where(filter);
  const page = searchPage(args, order, (value) => `$${params.push(value)}`);
  const { rows } = await pool.query<PersonRow & { pageRank: number | null }>(
    `select ${PERSON}, ${rankColumn(order)} from person where ${sql}${page.condition ? ` and ${page.condition}` : ''}
     order by ${orderBy(order)} limit ${page.first + 1}`,
    params,
  );
  const keyOf = (r: PersonRow) => r.idNumber;
  return searchConnection(readAt(rows, null), page.first, order, keyOf, () => countPersons(pool, filter));
}

export async function countPersons(pool: pg.Pool, filter: PersonFilter): Promise<number> {
  const { sql, params } = where(filter);
  const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from person where ${sql}`, params);
  return rows[0].n;
}

const countyCodes = new WeakMap<pg.Pool, Promise<Set<string>>>();

/**
 * Every six-digit division code ever valid, current or historical: the codes an ID number's
 * address part may carry. Read once per pool; the register changes with a release, not a request.
 */
export function everValidCountyCodes(pool: pg.Pool): Promise<Set<string>> {
  let codes = countyCodes.get(pool);
  if (!codes) {
    codes = pool
      .query<{ code: string }>('select code from division where length(code) = 6')
      .then(({ rows }) => new Set(rows.map((r) => r.code)));
    // An empty register (reference data not loaded yet) or a failed read is not kept.
    codes.then((set) => set.size || countyCodes.delete(pool), () => countyCodes.delete(pool));
    countyCodes.set(pool, codes);
  }
  return codes;
}
