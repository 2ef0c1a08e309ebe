import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub.js';
import { car, certificate, contribution, deliveredOnce, home, household, newId, pastMonths, pension, record, shareholding, VERIFY, startFinancialSource } from './support.js';
import type { LookupSimulator } from '../../src/simulate/lookups/index.js';

let hub: TestHub;
let bank: LookupSimulator;
beforeAll(async () => {
  const source = await startFinancialSource({ timeoutMs: 500 });
  bank = source.bank;
  hub = await startTestHub({}, { lookups: source.lookups });
  await deliveredOnce(hub.owner.pool);
});
afterAll(async () => {
  await hub?.close();
  await bank?.close();
});

const civil = (caseNumber = 'YZ-DB-2026-001') => hub.as('civil-affairs', { purpose: 'low-income-verification', caseNumber });
type Item = { key: string; outcome: string; value: string | null; reason: string; system: string; asOf: string | null; version: string | null; department: string };
async function verify(applicant: string, members: string[], asOf?: string) {
  const res = await civil().query(VERIFY, { a: applicant, m: members, asOf });
  expect(res.errors).toBeUndefined();
  const v = res.data.verifyHousehold;
  const item = (key: string) => (v.items as Item[]).find((i) => i.key === key)!;
  return { v, item };
}

/** A couple on a small wage: eligible unless a test adds something. */
async function modestCouple(division = '431102') {
  const [a, b] = await household(hub.owner.pool, [{ name: '李建国' }, { name: '王秀英' }], division);
  await contribution(hub.owner.pool, a, 1000);
  return [a, b];
}

describe('one household', () => {
  test('a modest household is ELIGIBLE, with all 12 items, each with its source, system, as-of and version', async () => {
    const [a, b] = await modestCouple();
    const { v, item } = await verify(a, [b]);
    expect(v.verdict).toBe('ELIGIBLE');
    expect(v.category).toBe('DIBAO');
    expect(v.householdSize).toBe(2);
    expect(v.perCapitaMonthlyIncome).toBe(500);
    expect(v.standardMonthly).toBe(780); // 零陵区's own urban standard
    expect(v.incomePass).toBe(true);
    expect(v.items).toHaveLength(12);
    expect(new Set(v.items.map((i: Item) => i.department)).size).toBe(10);
    expect(v.items.every((i: Item) => i.outcome !== 'FAIL' && i.outcome !== 'UNAVAILABLE')).toBe(true);
    expect(item('contribution')).toMatchObject({ outcome: 'COUNTED', system: 'hrss/contribution-db', version: '1.0.0' });
    expect(item('contribution').asOf).toBe('2020-01-01T00:00:00.000Z');
    expect(item('financial')).toMatchObject({ outcome: 'PASS', system: 'financial-institutions/financial-regulator-lookup', version: 'lookup' });
    expect(v.members.map((m: { name: string }) => m.name)).toEqual(['李建国', '王秀英']);
    expect(v.reference).toMatch(/^LI\d{8}-[0-9A-Z]{8}$/);
  });

  test('the audit entry names every resource gathered and every member, under the purpose and case number', async () => {
    const [a, b] = await modestCouple();
    await civil('YZ-DB-2026-777').query(VERIFY, { a, m: [b] });
    const entries = await hub.audit.entriesAbout(b);
    const entry = entries.at(-1)!;
    expect(entry).toMatchObject({ department: 'civil-affairs', purpose: 'low-income-verification', outcome: 'ok' });
    const { rows } = await hub.owner.pool.query('select case_number from audit_entry where seq = $1', [entry.seq]);
    expect(rows[0].case_number).toBe('YZ-DB-2026-777');
    const resources = (entry.resources as { resource: string; subjects: string[] }[]).map((r) => r.resource);
    expect(resources).toEqual(expect.arrayContaining([
      'population.person', 'population.household', 'property.ownership', 'legal-entity.shareholding', 'tax.income', 'hrss.pension', 'hrss.contribution',
      'provident-fund.account', 'vehicles.vehicle', 'disabled-federation.certificate', 'civil-affairs.assistance', 'civil-affairs.marriage',
      'health.medical-cost', 'financial-institutions.deposit', 'financial-institutions.securities', 'verification.low-income',
    ]));
    const tax = (entry.resources as { resource: string; subjects: string[] }[]).find((r) => r.resource === 'tax.income')!;
    expect(tax.subjects).toEqual([a, b].sort());
  });

  test('item 12 is asked of the one financial lookup source, each call named in the audit entry as department data names it', async () => {
    const [a, b] = await modestCouple();
    const before = bank.calls.deposits;
    await civil('YZ-DB-2026-778').query(VERIFY, { a, m: [b] });
    // Every member asked of the shared simulator, deposits and securities.
    expect(bank.calls.deposits - before).toBe(2);
    const entry = (await hub.audit.entriesAbout(a)).at(-1)!;
    const read = (code: string) => (entry.resources as { resource: string; fields: string[]; subjects: string[] }[]).find((r) => r.resource === code)!;
    expect(read('financial-institutions.deposit').fields).toContain('call:financial-institutions/financial-regulator-lookup:source');
    expect(read('financial-institutions.securities').fields).toContain('call:financial-institutions/financial-regulator-lookup:source');
    expect(read('financial-institutions.deposit').subjects).toEqual([a, b].sort());
    // Asked again within the source's TTL: answered from the cache, and said so.
    await civil('YZ-DB-2026-779').query(VERIFY, { a, m: [b] });
    expect(bank.calls.deposits - before).toBe(2);
    const again = (await hub.audit.entriesAbout(a)).at(-1)!;
    expect((again.resources as { resource: string; fields: string[] }[]).find((r) => r.resource === 'financial-institutions.deposit')!.fields)
      .toContain('call:financial-institutions/financial-regulator-lookup:cache');
  });

  test('a source that fails is named with its outcome in the audit entry too', async () => {
    const [a, b] = await modestCouple();
    bank.set({ errorRate: 1 });
    try {
      await civil('YZ-DB-2026-780').query(VERIFY, { a, m: [b] });
    } finally {
      bank.set({ errorRate: 0 });
    }
    const entry = (await hub.audit.entriesAbout(a)).at(-1)!;
    const deposit = (entry.resources as { resource: string; fields: string[] }[]).find((r) => r.resource === 'financial-institutions.deposit')!;
    expect(deposit.fields).toContain('call:financial-institutions/financial-regulator-lookup:error');
  });

  test('income over the standard: NOT_ELIGIBLE, per-capita income against the standard', async () => {
    const [a, b] = await modestCouple();
    await pension(hub.owner.pool, b, 1500);
    const { v, item } = await verify(a, [b]);
    expect(v.verdict).toBe('NOT_ELIGIBLE');
    expect(v.perCapitaMonthlyIncome).toBe(1250);
    expect(v.incomePass).toBe(false);
    expect(v.category).toBe('NONE');
    expect(JSON.parse(item('pension').value!)).toEqual({ [a]: 0, [b]: 1500 });
  });

  test('income between the standard and 1.5 × it is 低保边缘 (MARGINAL), not eligible for 低保', async () => {
    const [a, b] = await modestCouple();
    await pension(hub.owner.pool, b, 800); // (1000 + 800) / 2 = 900 < 1170
    const { v } = await verify(a, [b]);
    expect(v).toMatchObject({ verdict: 'NOT_ELIGIBLE', category: 'MARGINAL', marginLimit: 1170 });
  });

  test('wages: the highest of tax income, contribution base and provident-fund base; medical costs deducted', async () => {
    const [a, b] = await modestCouple();
    for (const period of pastMonths()) await record(hub.owner.pool, 'tax.income', a, { idNumber: a, period, incomeItem: 'wages', taxableIncome: 1300, taxPaid: 100 }); // 1,200 after tax
    await record(hub.owner.pool, 'tax.income', a, { idNumber: a, period: '2019-01', incomeItem: 'wages', taxableIncome: 99999, taxPaid: 0 }); // outside the period
    await record(hub.owner.pool, 'provident-fund.account', a, { accountNumber: 'GJJ001', idNumber: a, contributionBase: 900, monthlyDeposit: 108, balance: 5000, status: 'active' });
    await record(hub.owner.pool, 'provident-fund.account', a, { accountNumber: 'GJJ000', idNumber: a, contributionBase: 8000, monthlyDeposit: 960, balance: 0, status: 'closed' });
    await record(hub.owner.pool, 'health.medical-cost', b, { settlementNumber: 'YB001', idNumber: b, hospital: '永州市中心医院', settledOn: `${pastMonths()[2]}-15`, totalCost: 9000, selfPaid: 6000, category: 'inpatient' }); // 500 a month
    const { v } = await verify(a, [b]);
    expect(v.householdMonthlyIncome).toBe(700);
    expect(v.perCapitaMonthlyIncome).toBe(350);
    expect(v.verdict).toBe('ELIGIBLE');
  });

  test('an ordinary car: NOT_ELIGIBLE on the vehicle item', async () => {
    const [a, b] = await modestCouple();
    await car(hub.owner.pool, b, '湘M12345');
    const { v, item } = await verify(a, [b]);
    expect(v.verdict).toBe('NOT_ELIGIBLE');
    expect(item('vehicles')).toMatchObject({ outcome: 'FAIL', department: 'public-security' });
    expect(item('vehicles').reason).toContain('湘M12345');
  });

  test('disability exception: the car of a member holding a disability certificate does not count', async () => {
    const [a, b] = await modestCouple();
    await car(hub.owner.pool, b, '湘M54321');
    await certificate(hub.owner.pool, b);
    const { v, item } = await verify(a, [b]);
    expect(item('vehicles').outcome).toBe('PASS');
    expect(item('disability').outcome).toBe('NOTED');
    expect(v.verdict).toBe('ELIGIBLE');
  });

  test('an expired disability certificate exempts nothing', async () => {
    const [a, b] = await modestCouple();
    await car(hub.owner.pool, b, '湘M54322');
    await certificate(hub.owner.pool, b, '2024-12-31');
    const { item } = await verify(a, [b]);
    expect(item('vehicles').outcome).toBe('FAIL');
    expect(item('disability').reason).toBe('no disability certificate');
  });

  test('a record that should count but carries no number makes its item UNAVAILABLE, not zero', async () => {
    const [a, b] = await modestCouple();
    await record(hub.owner.pool, 'hrss.pension', b, { idNumber: b, month: pastMonths()[0], benefit: 'pension', amount: null });
    const { v, item } = await verify(a, [b]);
    expect(item('pension')).toMatchObject({ outcome: 'UNAVAILABLE' });
    expect(item('pension').reason).toMatch(/no number in amount/);
    expect(v.verdict).toBe('INCOMPLETE');
  });

  test('a working or low-value vehicle does not count', async () => {
    const [a, b] = await modestCouple();
    await car(hub.owner.pool, a, '湘M8A001', { vehicleType: 'truck' });
    await car(hub.owner.pool, b, '湘M8A002', { value: 12000 });
    await car(hub.owner.pool, b, '湘M8A003', { status: 'scrapped' });
    const { item } = await verify(a, [b]);
    expect(item('vehicles').outcome).toBe('PASS');
  });

  test('two homes: NOT_ELIGIBLE on the property item; one small home passes', async () => {
    const [a, b] = await modestCouple();
    await home(hub.owner.pool, a, 60);
    const one = await verify(a, [b]);
    expect(one.item('property').outcome).toBe('PASS');
    await home(hub.owner.pool, b, 50);
    const two = await verify(a, [b]);
    expect(two.v.verdict).toBe('NOT_ELIGIBLE');
    expect(two.item('property')).toMatchObject({ outcome: 'FAIL', department: 'natural-resources' });
    expect(JSON.parse(two.item('property').value!)).toMatchObject({ homes: 2, floorArea: 110, perPerson: 55 });
  });

  test('an operating-company shareholding: NOT_ELIGIBLE; a share in a cancelled company passes', async () => {
    const [a, b] = await modestCouple();
    await shareholding(hub.owner.pool, b, 'cancelled');
    expect((await verify(a, [b])).item('shareholdings').outcome).toBe('PASS');
    await shareholding(hub.owner.pool, a, 'in_business');
    const { v, item } = await verify(a, [b]);
    expect(v.verdict).toBe('NOT_ELIGIBLE');
    expect(item('shareholdings')).toMatchObject({ outcome: 'FAIL', department: 'market-regulation' });
  });

  test('assistance already received in another household is a duplicate', async () => {
    const [a, b] = await modestCouple();
    await record(hub.owner.pool, 'civil-affairs.assistance', a, { caseNumber: 'DB-OWN', applicantIdNumber: a, kind: 'dibao', householdSize: 2, monthlyAmount: 300, startsOn: '2025-01-01', endsOn: null, divisionCode: '431102' });
    expect((await verify(a, [b])).item('civil-affairs').outcome).toBe('PASS'); // the household's own case
    await record(hub.owner.pool, 'civil-affairs.assistance', b, { caseNumber: 'DB-OTHER', applicantIdNumber: b, kind: 'tekun', householdSize: 1, monthlyAmount: 500, startsOn: '2025-01-01', endsOn: null, divisionCode: '431102' });
    const { v, item } = await verify(a, [b]);
    expect(item('civil-affairs').outcome).toBe('FAIL');
    expect(v.verdict).toBe('NOT_ELIGIBLE');
  });

  test('financial assets over 24 months of the standard per person fail', async () => {
    const [a, b] = await modestCouple();
    bank.hold(a, { deposits: 30000, wealthProducts: 5000, securities: 3000 }); // 38,000 / 2 = 19,000 > 18,720
    const { v, item } = await verify(a, [b]);
    expect(item('financial')).toMatchObject({ outcome: 'FAIL', department: 'financial-institutions' });
    expect(JSON.parse(item('financial').value!)).toMatchObject({ total: 38000, perPerson: 19000, limit: 18720 });
    expect(v.verdict).toBe('NOT_ELIGIBLE');
  });
});

describe('members', () => {
  test('a deceased declared member is reported as such, not counted, and the household item fails', async () => {
    const [a, b, c] = await household(hub.owner.pool, [{}, {}, { status: 'deceased', relation: 'father' }]);
    await contribution(hub.owner.pool, a, 1000);
    const { v, item } = await verify(a, [b, c]);
    expect(v.members.find((m: { idNumber: string }) => m.idNumber === c)).toMatchObject({ status: 'DECEASED', counted: false, declared: true });
    expect(v.differences).toContainEqual(expect.objectContaining({ idNumber: c, kind: 'DECEASED' }));
    expect(v.householdSize).toBe(2);
    expect(item('household').outcome).toBe('FAIL');
    expect(v.verdict).toBe('NOT_ELIGIBLE');
  });

  test('a declared member missing from the register, an invalid number, and an undeclared register member are all reported', async () => {
    const [a, b, hidden] = await household(hub.owner.pool, [{}, {}, { relation: 'son' }]);
    const unknown = newId('431124', '1990-02-02');
    const { v, item } = await verify(a, [b, unknown, '431102198503120212']);
    const byId = new Map(v.members.map((m: { idNumber: string }) => [m.idNumber, m]));
    expect(byId.get(unknown)).toMatchObject({ status: 'UNKNOWN', counted: false });
    expect(byId.get('431102198503120212')).toMatchObject({ status: 'INVALID_ID', counted: false });
    expect(byId.get(hidden)).toMatchObject({ status: 'LIVING', declared: false, counted: true });
    expect(v.differences.map((d: { kind: string }) => d.kind).sort()).toEqual(['INVALID_ID', 'NOT_DECLARED', 'NOT_IN_REGISTER']);
    expect(v.householdSize).toBe(3);
    expect(item('household').outcome).toBe('FAIL');
    expect(v.verdict).not.toBe('ELIGIBLE');
  });

  test('a marriage is found by either party: an applicant registered as the other party has her husband noted', async () => {
    const [wife] = await household(hub.owner.pool, [{}]);
    const husband = newId('431102', '1978-03-03');
    await contribution(hub.owner.pool, wife, 700);
    // The registration's subject is the first party (the husband, not in this household); the applicant is its other party.
    await record(hub.owner.pool, 'civil-affairs.marriage', husband, {
      registrationNumber: 'J431102-2015-0042', kind: 'marriage', partyIdNumber: husband, otherPartyIdNumber: wife, registeredOn: '2015-10-01', office: '零陵区民政局婚姻登记处',
    });
    const { item } = await verify(wife, []);
    expect(item('civil-affairs').outcome).toBe('PASS');
    expect(item('civil-affairs').reason).toContain(`married per the register to ${husband}`);
    expect(JSON.parse(item('civil-affairs').value!).marriages[wife]).toEqual([{ kind: 'marriage', registeredOn: '2015-10-01', otherPartyIdNumber: husband }]);
  });

  test('a declared spouse registered in another household is counted and noted, not a failure', async () => {
    const [a] = await household(hub.owner.pool, [{}]);
    const [spouse] = await household(hub.owner.pool, [{}]);
    await contribution(hub.owner.pool, a, 1000);
    const { v, item } = await verify(a, [spouse]);
    expect(v.differences).toEqual([expect.objectContaining({ idNumber: spouse, kind: 'OTHER_HOUSEHOLD' })]);
    expect(item('household').outcome).toBe('PASS');
    expect(v.householdSize).toBe(2);
  });
});

describe('standards as data', () => {
  test('a new standard applies from its effective date: the same household on 30 June and on 1 July 2026', async () => {
    // 冷水滩区 (431103) has no standard of its own: 永州市's applies, 700 until 30 June, 760 from 1 July.
    const [a, b] = await household(hub.owner.pool, [{}, {}], '431103');
    await contribution(hub.owner.pool, a, 1460); // 730 per person
    const before = await verify(a, [b], '2026-06-30');
    const after = await verify(a, [b], '2026-07-01');
    expect(before.v).toMatchObject({ checkDate: '2026-06-30', standardMonthly: 700, perCapitaMonthlyIncome: 730, verdict: 'NOT_ELIGIBLE' });
    expect(before.v.standard.effectiveFrom).toBe('2025-01-01');
    expect(after.v).toMatchObject({ checkDate: '2026-07-01', standardMonthly: 760, verdict: 'ELIGIBLE' });
    expect(after.v.standard.effectiveFrom).toBe('2026-07-01');
  });
});

describe('sources that do not answer', () => {
  test('the financial gateway down: its item UNAVAILABLE and the verdict INCOMPLETE, never a zero or a pass', async () => {
    const [a, b] = await modestCouple();
    bank.set({ errorRate: 1 });
    try {
      const { v, item } = await verify(a, [b]);
      expect(v.verdict).toBe('INCOMPLETE');
      expect(v.category).toBe('UNKNOWN');
      expect(item('financial')).toMatchObject({ outcome: 'UNAVAILABLE', value: null, asOf: null });
      expect(item('financial').reason).toMatch(/503/);
      expect(v.items.filter((i: Item) => i.outcome === 'UNAVAILABLE')).toHaveLength(1);
    } finally {
      bank.set({ errorRate: 0 });
    }
  });

  test('a malformed answer from the financial source is UNAVAILABLE (quarantined), never read as data', async () => {
    const [a, b] = await modestCouple();
    bank.hold(a, { deposits: 1200 });
    bank.set({ malformedRate: 1 });
    try {
      const { v, item } = await verify(a, [b]);
      expect(v.verdict).toBe('INCOMPLETE');
      expect(item('financial')).toMatchObject({ outcome: 'UNAVAILABLE', value: null });
      expect(item('financial').reason).toMatch(/record schema of financial-institutions\.deposit/);
    } finally {
      bank.set({ malformedRate: 0 });
    }
    const { rows } = await hub.owner.pool.query(`select connector, run_id, step from quarantine_record where subject = $1`, [a]);
    expect(rows).toEqual([{ connector: 'financial-institutions', run_id: null, step: 'validation' }]);
  });

  test('a gateway slower than the timeout is UNAVAILABLE too', async () => {
    const [a, b] = await modestCouple();
    bank.set({ latencyMs: 1500 });
    try {
      const { v, item } = await verify(a, [b]);
      expect(item('financial').reason).toMatch(/within 500 ms/);
      expect(v.verdict).toBe('INCOMPLETE');
    } finally {
      bank.set({ latencyMs: 0 });
    }
  });

  test('a department resource whose connector never delivered is UNAVAILABLE, not "no income"', async () => {
    const [a, b] = await modestCouple();
    // Shown on a date before any department record existed.
    const { v, item } = await verify(a, [b], '2019-06-01');
    expect(item('pension')).toMatchObject({ outcome: 'UNAVAILABLE' });
    expect(v.incomePass).toBeNull();
    expect(v.perCapitaMonthlyIncome).toBeNull();
    expect(v.verdict).toBe('INCOMPLETE');
  });
});

describe('who may verify', () => {
  test('without a purpose: PURPOSE_REQUIRED; under another purpose or without a grant: FORBIDDEN', async () => {
    const [a, b] = await modestCouple();
    const none = await hub.as('civil-affairs').query(VERIFY, { a, m: [b] });
    expect(none.errors?.[0].extensions?.code).toBe('PURPOSE_REQUIRED');
    const other = await hub.as('civil-affairs', { purpose: 'housing-security' }).query(VERIFY, { a, m: [b] });
    expect(other.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'purpose-not-covered' });
    const tax = await hub.as('tax', { purpose: 'low-income-verification' }).query(VERIFY, { a, m: [b] });
    expect(tax.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'no-grant' });
    const entries = await hub.audit.entriesAbout(b);
    expect(entries.at(-1)).toMatchObject({ department: 'tax', outcome: 'denied:FORBIDDEN' });
  });

  test('an invalid applicant number is BAD_USER_INPUT; an unknown applicant NOT_FOUND', async () => {
    const bad = await civil().query(VERIFY, { a: '431102198503120212', m: [] });
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'applicant' });
    const unknown = await civil().query(VERIFY, { a: newId('431124'), m: [] });
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
