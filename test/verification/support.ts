import type pg from 'pg';
import { createLookupSources, type LookupSources } from '../../src/registries/department/index.js';
import { makeIdNumber } from '../../src/registries/population/index.js';
import { startLookupSimulator, type LookupSimulator } from '../../src/simulate/lookups/index.js';

/**
 * Hand-built households for verification tests: rows written straight into the base libraries and
 * `department_record` (as a connector would leave them), valid from 2020 so that checks judged on
 * past dates see them too.
 */

const SINCE = '2020-01-01T00:00:00Z';
/** Base-library rows are older than any department record, so a check on a 2019 date finds persons but no department data. */
const REGISTERED = '2010-01-01T00:00:00Z';
let serial = 100;

const provenance = (system: string, key: string, resource: string) => [system, key, resource, '1.0.0', REGISTERED, REGISTERED];

/** A fresh valid ID number in a county (default 零陵区), unique within the run. */
export function newId(county = '431102', birth = '1980-01-01', gender: 'male' | 'female' = 'male'): string {
  serial += 2;
  const [y, m, d] = birth.split('-');
  return makeIdNumber(county, `${y}-${m}-${String(Number(d)).padStart(2, '0')}`, serial % 1000, gender);
}

export interface PersonSpec {
  idNumber?: string;
  name?: string;
  status?: 'living' | 'deceased' | 'moved_out';
  relation?: string;
  birth?: string;
}

/** A register household in `division` with its members (the first is the head); returns their ID numbers. */
export async function household(pool: pg.Pool, members: PersonSpec[], division = '431102'): Promise<string[]> {
  const number = `HH${(serial += 1)}`;
  const county = division.slice(0, 6);
  const ids = members.map((m, i) => m.idNumber ?? newId(county, m.birth ?? (i === 0 ? '1975-05-05' : '1980-06-06')));
  await pool.query(
    `insert into household (number, head_id_number, address, division_code, source_system, source_key, resource_code, resource_version, fetched_at, valid_from)
     values ($1, $2, '永州市测试路1号', $3, $4, $5, $6, $7, $8, $9)`,
    [number, ids[0], division, ...provenance('public-security/hukou', number, 'population.household')],
  );
  for (const [i, m] of members.entries()) {
    await pool.query(
      `insert into person (id_number, name, gender, birth_date, ethnicity, residence_division, marital_status, status, household_number, relation_to_head,
         source_system, source_key, resource_code, resource_version, fetched_at, valid_from)
       values ($1, $2, 'male', $3, '汉族', $4, 'married', $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [ids[i], m.name ?? `测试${i}`, m.birth ?? '1975-05-05', division, m.status ?? 'living', number, m.relation ?? (i === 0 ? 'head' : 'spouse'),
        ...provenance('public-security/hukou', ids[i], 'population.person')],
    );
  }
  return ids;
}

/** A home owned by `owner` (share in %), usage residential unless given. */
export async function home(pool: pg.Pool, owner: string, area: number, share = 100, usage = 'residential'): Promise<string> {
  serial += 1;
  const unit = `431102004002GB${String(serial % 100000).padStart(5, '0')}F${String(serial).padStart(8, '0')}`;
  await pool.query(
    `insert into property_unit (unit_number, kind, usage, floor_area, address, division_code, source_system, source_key, resource_code, resource_version, fetched_at, valid_from)
     values ($1, 'building', $2, $3, '永州市测试小区', '431102', $4, $5, $6, $7, $8, $9)`,
    [unit, usage, area, ...provenance('natural-resources/registration', unit, 'property.unit')],
  );
  await pool.query(
    `insert into property_ownership (unit_number, owner_id_number, share, certificate_number, registered_on, source_system, source_key, resource_code, resource_version, fetched_at, valid_from)
     values ($1, $2, $3, $4, '2019-01-01', $5, $6, $7, $8, $9, $10)`,
    [unit, owner, share, `湘(2019)永州市不动产权第${String(serial).padStart(7, '0')}号`, ...provenance('natural-resources/registration', `${unit}/${owner}`, 'property.ownership')],
  );
  return unit;
}

const CREDIT_CODES = ['91431103MA4PB3K7XN', '92431124MA4N8R2L7Y', '93431129MA4RC6TJ02'];

/** A shareholding of `holder` in an enterprise of the given status (created once per credit code). */
export async function shareholding(pool: pg.Pool, holder: string, status: 'in_business' | 'cancelled', code = CREDIT_CODES[status === 'in_business' ? 0 : 1]): Promise<string> {
  await pool.query(
    `insert into legal_entity (credit_code, name, kind, registered_capital, established_on, status, address, division_code, source_system, source_key, resource_code, resource_version, fetched_at, valid_from)
     select $1, '永州测试商贸有限公司', 'enterprise', 500000, '2015-01-01', $2, '永州市', '431103', $3, $4, $5, $6, $7, $8
     where not exists (select 1 from legal_entity where credit_code = $1)`,
    [code, status, ...provenance('market-regulation/registry', code, 'legal-entity.entity')],
  );
  await pool.query(
    `insert into shareholding (credit_code, holder_id_number, share, source_system, source_key, resource_code, resource_version, fetched_at, valid_from)
     values ($1, $2, 30, $3, $4, $5, $6, $7, $8)`,
    [code, holder, ...provenance('market-regulation/registry', `${code}/${holder}`, 'legal-entity.shareholding')],
  );
  return code;
}

const SYSTEMS: Record<string, string> = {
  'tax.income': 'tax/income-api',
  'hrss.pension': 'hrss/pension-db',
  'hrss.contribution': 'hrss/contribution-db',
  'provident-fund.account': 'provident-fund/accounts',
  'vehicles.vehicle': 'public-security/vehicle-admin',
  'disabled-federation.certificate': 'disabled-federation/certificates',
  'civil-affairs.marriage': 'civil-affairs/marriage',
  'civil-affairs.assistance': 'civil-affairs/assistance',
  'health.medical-cost': 'health/medical-insurance',
};

/** One department record about `subject`, current since 2020 (or `since`). */
export async function record(pool: pg.Pool, resource: string, subject: string, payload: Record<string, unknown>, since = SINCE): Promise<void> {
  serial += 1;
  await pool.query(
    `insert into department_record (resource_code, record_key, subject, payload, source_system, source_key, resource_version, fetched_at, valid_from)
     values ($1, $2, $3, $4, $5, $2, '1.0.0', $6, $6)`,
    [resource, `${subject}/${serial}`, subject, JSON.stringify(payload), SYSTEMS[resource] ?? 'test', since],
  );
}

/** Every department resource has delivered something (to somebody else), as after a first sync. */
export async function deliveredOnce(pool: pg.Pool): Promise<void> {
  const nobody = newId('431103', '1960-01-01');
  for (const resource of Object.keys(SYSTEMS)) await record(pool, resource, nobody, { note: 'baseline' });
}

/** Every field of a verification, and the mutation, as tests ask for them. */
export const VERIFICATION_FIELDS = /* GraphQL */ `
  reference applicantIdNumber applicantName verdict category checkDate decidedAt caseNumber department scheme householdNumber divisionCode area
  householdSize householdMonthlyIncome perCapitaMonthlyIncome standardMonthly marginLimit incomePass tookMs
  standard { division effectiveFrom urbanMonthly ruralMonthly marginMultiplier homesMax areaPerPersonMax financialAssetMonths lowValueVehicleMax }
  members { idNumber name status relationToHead declared inRegisterHousehold counted reason }
  differences { idNumber kind description }
  items { no key title department resource system asOf version rule outcome value reason }
`;
export const VERIFY = `mutation($a: String!, $m: [String!]!, $asOf: String) { verifyHousehold(applicant: $a, declaredMembers: $m, asOf: $asOf) { ${VERIFICATION_FIELDS} } }`;


const YEAR = new Date().getFullYear();

/** A member's social-insurance contribution base this year (a wage proxy). */
export const contribution = (pool: pg.Pool, id: string, base: number, year = YEAR) =>
  record(pool, 'hrss.contribution', id, { idNumber: id, year, insurance: 'pension', contributionBase: base });

/** The `n` complete months before this one, `YYYY-MM`, latest first. */
export function pastMonths(n = 12, now = new Date()): string[] {
  const out: string[] = [];
  for (let i = 1; i <= n; i++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    out.push(d.toISOString().slice(0, 7));
  }
  return out;
}

/** A pension paid every month of the income period. */
export async function pension(pool: pg.Pool, id: string, amount: number): Promise<void> {
  for (const month of pastMonths()) await record(pool, 'hrss.pension', id, { idNumber: id, month, benefit: 'pension', amount });
}

export const car = (pool: pg.Pool, id: string, plateNumber: string, extra: Record<string, unknown> = {}) =>
  record(pool, 'vehicles.vehicle', id, { plateNumber, ownerIdNumber: id, vehicleType: 'passenger-car', brand: '大众', registeredOn: '2020-05-01', status: 'normal', ...extra });

export const certificate = (pool: pg.Pool, id: string, validUntil: string | null = null) =>
  record(pool, 'disabled-federation.certificate', id, { certificateNumber: `${id}4102`, idNumber: id, category: 'physical', grade: 2, issuedOn: '2018-01-01', validUntil });

/**
 * The financial-institutions lookup simulator as verification tests use it: persons hold no
 * accounts unless a test gives them some (`hold`), and the hub's lookup sources point at it (the
 * shipped connector definition, with `override`; a breaker that does not open, so that one test's
 * failing source does not carry over into the next: the breaker is tested in test/department).
 */
export async function startFinancialSource(override: NonNullable<Parameters<typeof createLookupSources>[0]>['override'] = {}): Promise<{ bank: LookupSimulator; lookups: LookupSources }> {
  const bank = await startLookupSimulator({ generated: false });
  const lookups = createLookupSources({ override: { baseUrl: bank.url, breakerFailures: 1_000_000, ...override } });
  return { bank, lookups };
}
