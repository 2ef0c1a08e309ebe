import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { LookupSimulator } from '../simulate/lookups/index.js';

/**
 * Demo households of every verdict in the demo city: department records (as the connectors would
 * deliver them) written for chosen households of the synthetic city, each an active 低保 case so
 * that `huitong verify batch` re-checks them. The chosen ID numbers are kept in `hub_state`
 * (`verification_demo`) and printed in the README; the simulated financial-institutions lookup
 * system is told their accounts too (`demoLookupHoldings`: one household's bank does not answer,
 * INCOMPLETE).
 */

export interface DemoHousehold {
  /** What the README promises for it. */
  expect: 'ELIGIBLE' | 'NOT_ELIGIBLE' | 'INCOMPLETE';
  why: string;
  applicant: string;
  members: string[];
}

const STATE_KEY = 'verification_demo';
const SYSTEMS: Record<string, string> = {
  'tax.income': 'tax/income-api', 'hrss.pension': 'hrss/pension-db', 'hrss.contribution': 'hrss/contribution-db',
  'provident-fund.account': 'provident-fund/accounts', 'vehicles.vehicle': 'public-security/vehicle-admin',
  'disabled-federation.certificate': 'disabled-federation/certificates', 'civil-affairs.marriage': 'civil-affairs/marriage',
  'civil-affairs.assistance': 'civil-affairs/assistance', 'health.medical-cost': 'health/medical-insurance',
};

function pastMonths(n: number, now = new Date()): string[] {
  return Array.from({ length: n }, (_, i) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1 - i, 1)).toISOString().slice(0, 7));
}

/** Seeds the verification demo once (after the demo city is loaded); returns the households. */
export async function seedVerificationDemo(pool: pg.Pool): Promise<DemoHousehold[]> {
  const { rows: known } = await pool.query<{ value: DemoHousehold[] }>(`select value from hub_state where key = $1`, [STATE_KEY]);
  if (known[0]) return known[0].value;
  // Households of two to four living members none of whom owns a home or holds shares: a clean start for each story.
  const { rows: picks } = await pool.query<{ members: string[] }>(
    `select array_agg(p.id_number order by p.relation_to_head = 'head' desc, p.birth_date, p.id_number) as members
     from household h join person p on p.household_number = h.number and p.valid_to is null and p.status = 'living'
     where h.valid_to is null
     group by h.number
     having count(*) between 2 and 4
        and not exists (select 1 from property_ownership o where o.valid_to is null and o.owner_id_number = any(array_agg(p.id_number)))
        and not exists (select 1 from shareholding s where s.valid_to is null and s.holder_id_number = any(array_agg(p.id_number)))
        and not exists (select 1 from person d where d.household_number = h.number and d.valid_to is null and d.status <> 'living')
     order by h.number limit 208`,
  );
  if (picks.length < 8) return [];
  const year = new Date().getFullYear();
  const months = pastMonths(12);
  const rows: [string, string, string, Record<string, unknown>][] = [];
  let serial = 0;
  const add = (resource: string, subject: string, payload: Record<string, unknown>) => rows.push([resource, `demo-verification/${subject}/${(serial += 1)}`, subject, payload]);
  const base = (id: string, amount: number) => add('hrss.contribution', id, { idNumber: id, year, insurance: 'pension', contributionBase: amount });
  const dibao = (applicant: string, size: number, i: number) =>
    add('civil-affairs.assistance', applicant, { caseNumber: `DB-DEMO-${String(i).padStart(4, '0')}`, applicantIdNumber: applicant, kind: 'dibao', householdSize: size, monthlyAmount: 300, startsOn: `${year - 1}-03-01`, endsOn: null, divisionCode: '431100' });

  const stories: DemoHousehold[] = [];
  const story = (i: number, expect: DemoHousehold['expect'], why: string, data: (a: string, m: string[]) => void) => {
    const [a, ...m] = picks[i].members;
    data(a, m);
    dibao(a, m.length + 1, i);
    stories.push({ expect, why, applicant: a, members: m });
  };
  story(0, 'ELIGIBLE', '低收入: 社保缴费基数 900 元, 其他各项通过', (a, m) => {
    base(a, 900);
    for (const period of months) add('tax.income', a, { idNumber: a, period, incomeItem: 'wages', taxableIncome: 850, taxPaid: 0 });
    add('civil-affairs.marriage', a, { registrationNumber: 'J431102-2001-0001', kind: 'marriage', partyIdNumber: a, otherPartyIdNumber: m[0], registeredOn: '2001-10-01', office: '零陵区民政局婚姻登记处' });
  });
  story(1, 'ELIGIBLE', '家庭成员持残疾人证, 其小汽车豁免', (a, m) => {
    base(a, 800);
    add('vehicles.vehicle', m[0], { plateNumber: '湘MD2024', ownerIdNumber: m[0], vehicleType: 'passenger-car', brand: '五菱', registeredOn: '2021-04-01', status: 'normal' });
    add('disabled-federation.certificate', m[0], { certificateNumber: `${m[0]}4102`, idNumber: m[0], category: 'physical', grade: 2, issuedOn: '2015-06-01', validUntil: null });
  });
  story(2, 'NOT_ELIGIBLE', '收入超过低保标准: 缴费基数 4,500 元, 另有养老金', (a, m) => {
    base(a, 4500);
    for (const month of months) add('hrss.pension', m[0], { idNumber: m[0], month, benefit: 'pension', amount: 1800 });
    add('provident-fund.account', a, { accountNumber: 'GJJ-DEMO-3', idNumber: a, contributionBase: 4500, monthlyDeposit: 540, balance: 32000, status: 'active' });
  });
  story(3, 'NOT_ELIGIBLE', '拥有普通小汽车', (a) => {
    base(a, 1000);
    add('vehicles.vehicle', a, { plateNumber: '湘M8K886', ownerIdNumber: a, vehicleType: 'passenger-car', brand: '丰田', registeredOn: '2022-08-08', status: 'normal' });
  });
  story(4, 'NOT_ELIGIBLE', '人均金融资产超过 24 个月低保标准 (模拟金融机构查询系统)', (a) => base(a, 900));
  story(5, 'INCOMPLETE', '开户银行未应答 (模拟金融机构查询系统): 金融资产项无法核对', (a) => base(a, 900));
  story(6, 'NOT_ELIGIBLE', '低保边缘: 人均收入高于标准、低于 1.5 倍', (a, m) => {
    base(a, 1000 * (m.length + 1));
    add('health.medical-cost', a, { settlementNumber: 'YB-DEMO-7', idNumber: a, hospital: '永州市中心医院', settledOn: `${months[3]}-12`, totalCost: 4000, selfPaid: 1200, category: 'inpatient' });
  });
  story(7, 'NOT_ELIGIBLE', '家庭成员在另一户享受特困供养 (重复救助)', (a, m) => {
    base(a, 700);
    add('civil-affairs.assistance', m[0], { caseNumber: 'TK-DEMO-0008', applicantIdNumber: m[0], kind: 'tekun', householdSize: 1, monthlyAmount: 900, startsOn: `${year - 2}-01-01`, endsOn: null, divisionCode: '431100' });
  });
  // The rest: ordinary recipient households on a modest wage, for the annual batch re-check.
  for (let i = 8; i < picks.length; i++) {
    const [a, ...m] = picks[i].members;
    base(a, 700 + (i % 7) * 150);
    dibao(a, m.length + 1, i);
  }
  await pool.query(
    `insert into department_record (resource_code, record_key, subject, payload, source_system, source_key, resource_version, fetched_at, valid_from)
     select r.resource, r.key, r.subject, r.payload, r.system, r.key, '1.0.0', now() - interval '1 day', now() - interval '400 days'
     from jsonb_to_recordset($1::jsonb) as r(resource text, key text, subject text, payload jsonb, system text)`,
    [JSON.stringify(rows.map(([resource, key, subject, payload]) => ({ resource, key, subject, payload, system: SYSTEMS[resource] })))],
  );
  await pool.query(`insert into hub_state (key, value) values ($1, $2) on conflict (key) do nothing`, [STATE_KEY, JSON.stringify(stories)]);
  return stories;
}

/** A small deterministic balance from the ID number (0–4,999 yuan of deposits): a recipient household's savings. */
export const smallDeposits = (id: string) => ({ deposits: createHash('sha256').update(id).digest().readUInt16BE(0) % 5000, wealthProducts: 0, securities: 0 });

/**
 * The demo households' accounts at the simulated financial-institutions lookup system (the one
 * source that department queries and verification both ask): every member of a demo household
 * holds a small deposit, the 金融资产 story's applicant holds more than its standard allows, and
 * the INCOMPLETE story's member banks where nobody answers (HTTP 503). The generated accounts of
 * other persons stay as they are. Returns the number of persons held.
 */
export async function demoLookupHoldings(pool: pg.Pool, simulator: Pick<LookupSimulator, 'hold' | 'set' | 'switches'>): Promise<number> {
  const { rows } = await pool.query<{ value: DemoHousehold[] }>(`select value from hub_state where key = $1`, [STATE_KEY]);
  const unreachable = new Set(simulator.switches.unreachable);
  let held = 0;
  for (const h of rows[0]?.value ?? []) {
    for (const id of [h.applicant, ...h.members]) {
      simulator.hold(id, smallDeposits(id));
      held++;
    }
    if (h.why.includes('金融资产')) simulator.hold(h.applicant, { deposits: 60_000, wealthProducts: 20_000, securities: 15_000 });
    if (h.expect === 'INCOMPLETE') unreachable.add(h.members[0] ?? h.applicant);
  }
  simulator.set({ unreachable: [...unreachable] });
  return held;
}
