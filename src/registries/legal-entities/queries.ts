import type pg from 'pg';
import { orderBy, rankColumn, searchConnection, searchPage, type Connection, type SearchOrder } from '../../server/connections.js';
import { VERSION_COLUMNS, asOfParams, keyed, nameMatch, readAt, validAt, type AsOf, type Versioned } from '../records.js';

/** Every SQL statement of the legal-entity library. */

export interface LegalEntityRow extends Versioned {
  creditCode: string;
  name: string;
  kind: string;
  representativeIdNumber: string | null;
  registeredCapital: string | null;
  establishedOn: string;
  status: string;
  address: string;
  divisionCode: string;
  industryCode: string | null;
  businessScope: string | null;
}

export interface ShareholdingRow extends Versioned {
  creditCode: string;
  holderIdNumber: string | null;
  holderCreditCode: string | null;
  share: string;
  subscribedCapital: string | null;
}

export interface EconomicFactsRow extends Versioned {
  creditCode: string;
  year: number;
  taxPaid: string;
  revenueBand: string;
  employees: number;
  insuredEmployees: number;
}

export interface LegalEntityFilter {
  name: string | null;
  divisionPrefix: string | null;
  kind: string | null;
  status: string | null;
  industryCode: string | null;
}

const ENTITY = `credit_code as "creditCode", name, kind, representative_id_number as "representativeIdNumber",
  registered_capital as "registeredCapital", established_on as "establishedOn", status, address,
  division_code as "divisionCode", industry_code as "industryCode", business_scope as "businessScope", ${VERSION_COLUMNS}`;

const SHAREHOLDING = `credit_code as "creditCode", holder_id_number as "holderIdNumber", holder_credit_code as "holderCreditCode",
  share, subscribed_capital as "subscribedCapital", ${VERSION_COLUMNS}`;

const FACTS = `credit_code as "creditCode", year, tax_paid as "taxPaid", revenue_band as "revenueBand", employees,
  insured_employees as "insuredEmployees", ${VERSION_COLUMNS}`;

export async function entitiesByCreditCode(pool: pg.Pool, codes: string[], asOf: AsOf): Promise<Map<string, LegalEntityRow>> {
  const key = keyed('credit_code', codes);
  const { rows } = await pool.query<LegalEntityRow>({
    name: `legal-entities.by-code.${key.form}.${asOf ? 'at' : 'now'}`,
    text: `select ${ENTITY} from legal_entity where ${key.condition} and ${validAt(asOf, 2)}`,
    values: [key.value, ...asOfParams(asOf)],
  });
  return new Map(readAt(rows, asOf).map((r) => [r.creditCode, r]));
}

export async function entitiesRepresentedBy(pool: pg.Pool, ids: string[], asOf: AsOf): Promise<LegalEntityRow[]> {
  const { rows } = await pool.query<LegalEntityRow>(
    `select ${ENTITY} from legal_entity where representative_id_number = any($1) and ${validAt(asOf, 2)} order by credit_code`,
    [ids, ...asOfParams(asOf)],
  );
  return readAt(rows, asOf);
}

export async function shareholdingsOf(pool: pg.Pool, codes: string[], asOf: AsOf): Promise<ShareholdingRow[]> {
  const { rows } = await pool.query<ShareholdingRow>(
    `select ${SHAREHOLDING} from shareholding where credit_code = any($1) and ${validAt(asOf, 2)} order by credit_code, share desc`,
    [codes, ...asOfParams(asOf)],
  );
  return readAt(rows, asOf);
}

export async function economicFactsOf(pool: pg.Pool, codes: string[], asOf: AsOf): Promise<EconomicFactsRow[]> {
  const { rows } = await pool.query<EconomicFactsRow>(
    `select ${FACTS} from economic_facts where credit_code = any($1) and ${validAt(asOf, 2)} order by credit_code, year desc`,
    [codes, ...asOfParams(asOf)],
  );
  return readAt(rows, asOf);
}

function where(filter: LegalEntityFilter): { sql: string; params: unknown[]; order: SearchOrder } {
  const conditions = ['valid_to is null'];
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  let order: SearchOrder = { rank: null, key: 'credit_code' };
  if (filter.name) {
    const match = nameMatch(filter.name, param, 'credit_code');
    conditions.push(match.condition);
    order = match.order;
  }
  if (filter.divisionPrefix) conditions.push(`division_code like ${param(`${filter.divisionPrefix}%`)}`);
  if (filter.kind) conditions.push(`kind = ${param(filter.kind)}`);
  if (filter.status) conditions.push(`status = ${param(filter.status)}`);
  if (filter.industryCode) conditions.push(`industry_code like ${param(`${filter.industryCode}%`)}`);
  return { sql: conditions.join(' and '), params, order };
}

export async function searchEntities(
  pool: pg.Pool,
  filter: LegalEntityFilter,
  args: { first?: number | null; after?: string | null },
): Promise<Connection<LegalEntityRow>> {
  const { sql, params, order } = where(filter);
  const page = searchPage(args, order, (value) => `$${params.push(value)}`);
  const { rows } = await pool.query<LegalEntityRow & { pageRank: number | null }>(
    `select ${ENTITY}, ${rankColumn(order)} from legal_entity where ${sql}${page.condition ? ` and ${page.condition}` : ''}
     order by ${orderBy(order)} limit ${page.first + 1}`,
    params,
  );
  const keyOf = (r: LegalEntityRow) => r.creditCode;
  return searchConnection(readAt(rows, null), page.first, order, keyOf, () => countEntities(pool, filter));
}

export async function countEntities(pool: pg.Pool, filter: LegalEntityFilter): Promise<number> {
  const { sql, params } = where(filter);
  const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from legal_entity where ${sql}`, params);
  return rows[0].n;
}
