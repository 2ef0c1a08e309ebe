import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FormError, FormRegistry, readTemplateFiles } from '../../src/prefill/index.js';
import { buildSchema } from '../../src/server/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { insertDepartmentRecord, prepareCity } from './support.js';

let hub: TestHub;
const sql = async <T = Record<string, any>>(text: string, params: unknown[] = []) => (await hub.owner.pool.query(text, params)).rows as T[];
const one = async <T = Record<string, any>>(text: string, params: unknown[] = []) => (await sql<T>(text, params))[0];

const PREFILL = `query ($form: String!, $subject: String!) { prefillForm(form: $form, subject: $subject) {
  form subject subjectFound certificatesRequired fields { name value status locked needsApplicant reasons source { resource department system } } } }`;
type Field = { name: string; value: any; status: string; locked: boolean; needsApplicant: boolean; reasons: string[]; source: any };
const fieldsOf = (res: { data?: any; errors?: unknown }) => {
  expect(res.errors).toBeUndefined();
  return Object.fromEntries((res.data.prefillForm.fields as Field[]).map((f) => [f.name, f]));
};
const sorted = <T>(xs: T[]) => [...xs].sort();

beforeAll(async () => {
  hub = await startTestHub({ HUITONG_RATE_LIMIT_PER_MINUTE: '1000' });
  await prepareCity(hub);
}, 120_000);
afterAll(() => hub?.close());

describe('the shipped templates', () => {
  test('all four are usable: every path resolves to a catalogued field', async () => {
    const res = await hub.as('civil-affairs').query('{ prefillForms { code version usable problems certificatesReplaced fields { name source certificate } } }');
    expect(res.errors).toBeUndefined();
    const forms = res.data.prefillForms as { code: string; usable: boolean; problems: string[]; certificatesReplaced: string[] }[];
    expect(forms.map((f) => f.code)).toEqual(['business-licence-change', 'low-income-assistance', 'provident-fund-withdrawal', 'school-enrolment']);
    for (const f of forms) expect({ code: f.code, usable: f.usable, problems: f.problems }).toEqual({ code: f.code, usable: true, problems: [] });
    // The closing note's figure, counted from the templates.
    const total = forms.reduce((n, f) => n + f.certificatesReplaced.length, 0);
    expect(total).toBe(readTemplateFiles().reduce((n, { template }) => n + new Set(template!.fields.filter((x) => x.source && x.certificate).map((x) => x.certificate)).size, 0));
    expect(total).toBeGreaterThanOrEqual(28);
  });

  test('a template with bad paths is refused at registration with every bad path named', () => {
    const registry = new FormRegistry();
    const broken = {
      code: 'broken-form', version: '1.0.0', name: '坏表单', nameEn: 'Broken', matter: '测试', department: 'civil-affairs', purpose: 'low-income-verification',
      subject: 'person', publishedAt: '2026-12-03',
      fields: [
        { name: 'ok', title: '姓名', type: 'string', source: { path: 'person.name' }, locked: true, certificate: null },
        { name: 'colour', title: '颜色', type: 'string', source: { path: 'person.household.colour' }, locked: true, certificate: null },
        { name: 'entity', title: '名称', type: 'string', source: { path: 'legalEntity.name' }, locked: true, certificate: null },
        { name: 'household', title: '户', type: 'string', source: { path: 'person.household' }, locked: true, certificate: null },
        { name: 'boats', title: '船舶', type: 'integer', source: { resource: 'vehicles.boat', item: 'hull', aggregate: 'count' }, locked: true, certificate: '船舶证明' },
        { name: 'fuel', title: '燃料', type: 'string', source: { resource: 'vehicles.vehicle', item: 'fuel' }, locked: true, certificate: null },
        { name: 'members', title: '成员', type: 'string', source: { path: 'person.household.members', select: ['name', 'shoeSize'] }, locked: true, certificate: null },
        { name: 'size', title: '人数', type: 'string', source: { path: 'person.household.members', aggregate: 'count', item: 'idNumber' }, locked: true, certificate: null },
      ],
    };
    let error: unknown;
    try {
      registry.register(broken, buildSchema(), hub.services.catalog);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FormError);
    const problems = (error as FormError).problems;
    expect(problems.map((p) => p.at)).toEqual(
      expect.arrayContaining(['fields[1].source.path', 'fields[2].source.path', 'fields[3].source.path', 'fields[4].source.resource', 'fields[5].source.item', 'fields[6].source.path', 'fields[7].type']),
    );
    expect(problems.find((p) => p.at === 'fields[1].source.path')?.problem).toMatch(/person\.household\.colour: Household has no field colour/);
    expect(problems.find((p) => p.at === 'fields[6].source.path')?.problem).toMatch(/shoeSize/);
    expect(problems.some((p) => p.at.startsWith('fields[0]'))).toBe(false);
    expect(registry.template('broken-form')).toBeNull();
  });

  test('a template of the wrong shape is refused naming the place', () => {
    const registry = new FormRegistry();
    expect(() => registry.register({ code: 'Bad Code', version: '1', fields: [] }, buildSchema(), hub.services.catalog)).toThrow(FormError);
  });
});

describe('business-licence change', () => {
  test('the entity, its representative, shareholders and premises are prefilled for market regulation', async () => {
    const entity = await one(
      `select e.credit_code, e.name, e.address, e.registered_capital::float as capital, e.representative_id_number as rep, e.business_scope from legal_entity e
        where e.valid_to is null and e.representative_id_number is not null
          and exists (select 1 from shareholding s where s.credit_code = e.credit_code and s.valid_to is null)
        order by exists (select 1 from property_ownership o where o.owner_credit_code = e.credit_code and o.valid_to is null) desc limit 1`,
    );
    const res = await hub.as('market-regulation', { purpose: 'business-registration', caseNumber: 'SC-2026-88' }).query(PREFILL, { form: 'business-licence-change', subject: entity.credit_code });
    const f = fieldsOf(res);
    expect(f.creditCode.value).toBe(entity.credit_code);
    expect(f.entityName).toMatchObject({ value: entity.name, status: 'prefilled', locked: true, source: { resource: 'legal-entity.entity', department: 'market-regulation' } });
    expect(f.registeredAddress.value).toBe(entity.address);
    expect(f.registeredCapital.value).toBe(entity.capital);
    expect(f.businessScope.value).toBe(entity.business_scope);
    const rep = await one(`select name from person where id_number = $1 and valid_to is null`, [entity.rep]);
    expect(f.representativeIdNumber.value).toBe(entity.rep);
    expect(f.representativeName).toMatchObject({ value: rep?.name ?? null, source: { resource: 'population.person' } });
    const holders = await sql(`select holder_id_number, holder_credit_code, share::float from shareholding where credit_code = $1 and valid_to is null`, [entity.credit_code]);
    expect(sorted(f.shareholders.value.map((s: any) => `${s.holderIdNumber ?? s.holderCreditCode}:${s.share}`))).toEqual(
      sorted(holders.map((h) => `${h.holder_id_number ?? h.holder_credit_code}:${h.share}`)),
    );
    const premises = await sql(
      `select o2.certificate_number from property_ownership o join property_ownership o2 on o2.unit_number = o.unit_number and o2.valid_to is null
        where o.owner_credit_code = $1 and o.valid_to is null`,
      [entity.credit_code],
    );
    expect(sorted(f.premisesCertificates.value)).toEqual(sorted(premises.map((p) => p.certificate_number)));
    expect(f.resolution).toMatchObject({ status: 'needs_applicant', needsApplicant: true });
    expect(res.data.prefillForm.certificatesRequired).toEqual(['股东会（董事会）决议或决定']);
  });
});

describe('housing provident fund withdrawal', () => {
  test('the account comes from the provident fund’s own records, the home and its mortgage from the register', async () => {
    const owner = await one(
      `select o.owner_id_number as id from property_ownership o where o.valid_to is null and o.owner_id_number is not null
        order by exists (select 1 from encumbrance e where e.unit_number = o.unit_number and e.valid_to is null) desc limit 1`,
    );
    await insertDepartmentRecord(hub.owner.pool, {
      resource: 'provident-fund.account', key: `GJJ-${owner.id}`, subject: owner.id, system: 'provident-fund.accounts',
      payload: { idNumber: owner.id, accountNumber: 'GJJ0100042', contributionBase: 6100, monthlyDeposit: 732, balance: 51234.25 },
    });
    const res = await hub.as('provident-fund', { purpose: 'provident-fund-withdrawal', caseNumber: 'GJJ-TQ-2026-9' }).query(PREFILL, { form: 'provident-fund-withdrawal', subject: owner.id });
    const f = fieldsOf(res);
    const person = await one(`select name, marital_status from person where id_number = $1 and valid_to is null`, [owner.id]);
    expect(f.applicantName.value).toBe(person.name);
    expect(f.maritalStatus.value).toBe(person.marital_status);
    expect(f.accountNumber).toMatchObject({ value: 'GJJ0100042', status: 'prefilled', source: { resource: 'provident-fund.account', department: 'provident-fund', system: 'provident-fund.accounts' } });
    expect(f.accountBalance.value).toBe(51234.25);
    expect(f.monthlyDeposit.value).toBe(732);
    const units = await sql(`select unit_number from property_ownership where owner_id_number = $1 and valid_to is null`, [owner.id]);
    expect(sorted(f.properties.value.map((p: any) => p.unitNumber))).toEqual(sorted(units.map((u) => u.unit_number)));
    const mortgages = await sql(`select kind, holder from encumbrance where valid_to is null and unit_number = any($1)`, [units.map((u) => u.unit_number)]);
    expect(sorted(f.mortgages.value.map((m: any) => `${m.kind}:${m.holder}`))).toEqual(sorted(mortgages.map((m) => `${m.kind}:${m.holder}`)));
    expect(f.bankAccount.needsApplicant).toBe(true);
  });

  test('without a provident-fund record the account fields need the applicant, with their certificate', async () => {
    const other = await one(`select id_number as id from person where valid_to is null and status = 'living' order by id_number desc limit 1`);
    const res = await hub.as('provident-fund', { purpose: 'provident-fund-withdrawal', caseNumber: 'GJJ-TQ-2026-10' }).query(PREFILL, { form: 'provident-fund-withdrawal', subject: other.id });
    const f = fieldsOf(res);
    expect(f.accountBalance).toMatchObject({ value: null, status: 'needs_applicant', needsApplicant: true, reasons: ['no-data'] });
    expect(res.data.prefillForm.certificatesRequired).toContain('住房公积金缴存明细证明');
  });
});

describe('school enrolment', () => {
  test('a child’s identity, household, guardians and the household’s home are prefilled for the education bureau', async () => {
    const child = await one(
      `select p.id_number as id, p.household_number as household, p.ethnicity, h.head_id_number as head, h.address from person p
         join household h on h.number = p.household_number and h.valid_to is null
        where p.valid_to is null and p.relation_to_head = 'child'
        order by exists (select 1 from property_ownership o where o.owner_id_number = h.head_id_number and o.valid_to is null) desc, p.birth_date desc limit 1`,
    );
    const res = await hub.as('education', { purpose: 'school-enrolment', caseNumber: 'RX-2027-0001' }).query(PREFILL, { form: 'school-enrolment', subject: child.id });
    const f = fieldsOf(res);
    expect(f.childIdNumber.value).toBe(child.id);
    expect(f.ethnicity).toMatchObject({ value: child.ethnicity, status: 'prefilled' });
    expect(f.registeredAddress.value).toBe(child.address);
    const members = await sql(`select id_number from person where household_number = $1 and valid_to is null`, [child.household]);
    expect(sorted(f.guardians.value.map((g: any) => g.idNumber))).toEqual(sorted(members.map((m) => m.id_number)));
    const homes = await sql(`select unit_number from property_ownership where owner_id_number = $1 and valid_to is null`, [child.head]);
    expect(sorted(f.homeProperties.value.map((p: any) => p.unitNumber))).toEqual(sorted(homes.map((h) => h.unit_number)));
    expect(f.vaccination).toMatchObject({ status: 'needs_applicant', needsApplicant: true });
  });

  test('a department whose grant does not cover the purpose sees the sensitive ethnicity withheld', async () => {
    const child = await one(`select id_number as id from person where valid_to is null and relation_to_head = 'child' limit 1`);
    // Civil affairs holds grants, but for low-income checks: stating school enrolment, it has none.
    const res = await hub.as('civil-affairs', { purpose: 'school-enrolment', caseNumber: 'RX-X' }).query(PREFILL, { form: 'school-enrolment', subject: child.id });
    const f = fieldsOf(res);
    expect(f.ethnicity).toMatchObject({ status: 'withheld', value: null, needsApplicant: true, reasons: ['sensitive'] });
    expect(f.registeredAddress).toMatchObject({ status: 'withheld', reasons: ['purpose-not-covered'] });
  });
});
