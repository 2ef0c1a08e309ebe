import { compactVerify, createLocalJWKSet, importJWK, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub.js';
import { insertDepartmentRecord, prepareCity } from './support.js';

let hub: TestHub;
const sql = async <T = Record<string, any>>(text: string, params: unknown[] = []) => (await hub.owner.pool.query(text, params)).rows as T[];
const one = async <T = Record<string, any>>(text: string, params: unknown[] = []) => (await sql<T>(text, params))[0];

const FIELD = 'name value status locked editable needsApplicant certificate reasons source { resource department system asOf recordVersion records { version system } }';
const PREFILL = `query Prefill($form: String!, $subject: String!) { prefillForm(form: $form, subject: $subject) {
  form version subject subjectFound purpose caseNumber certificatesReplaced certificatesRequired seal fields { ${FIELD} } } }`;

type Field = { name: string; value: any; status: string; locked: boolean; editable: boolean; needsApplicant: boolean; certificate: string | null; reasons: string[]; source: any };
const byName = (fields: Field[]) => Object.fromEntries(fields.map((f) => [f.name, f]));

/** The applicant of a household of four, with a property, as the base libraries hold them. */
let applicant: { id: string; household: string; address: string; name: string };
let members: { id_number: string; name: string; relation_to_head: string; birth_date: string; status: string }[];

beforeAll(async () => {
  hub = await startTestHub({ HUITONG_RATE_LIMIT_PER_MINUTE: '1000' });
  await prepareCity(hub);
  const row = await one(
    `select p.id_number as id, p.household_number as household, h.address, p.name
       from person p join household h on h.number = p.household_number and h.valid_to is null
      where p.valid_to is null and p.relation_to_head = 'head'
        and (select count(*) from person m where m.household_number = p.household_number and m.valid_to is null) = 4
        and exists (select 1 from property_ownership o where o.owner_id_number = p.id_number and o.valid_to is null)
      limit 1`,
  );
  applicant = row as typeof applicant;
  members = await sql(
    `select id_number, name, relation_to_head, to_char(birth_date, 'YYYY-MM-DD') as birth_date, status from person where household_number = $1 and valid_to is null`,
    [applicant.household],
  );
  for (const [i, plate] of ['湘M12345', '湘M67890'].entries()) {
    await insertDepartmentRecord(hub.owner.pool, {
      resource: 'vehicles.vehicle', key: plate, subject: applicant.id, system: 'public-security.vehicle-registry',
      payload: { ownerIdNumber: applicant.id, plateNumber: plate, vehicleType: i ? '小型轿车' : '二轮摩托车', registeredOn: '2019-05-0' + (i + 1) },
    });
  }
  await insertDepartmentRecord(hub.owner.pool, {
    resource: 'provident-fund.account', key: `GJJ-${applicant.id}`, subject: applicant.id, system: 'provident-fund.accounts',
    payload: { idNumber: applicant.id, accountNumber: 'GJJ0007311', contributionBase: 4200, monthlyDeposit: 504, balance: 36890.5 },
  });
}, 120_000);
afterAll(() => hub?.close());

const civil = (caseNumber = 'DB-2026-0415') => hub.as('civil-affairs', { system: 'dibao-workflow', purpose: 'low-income-verification', caseNumber });

describe('low-income assistance application', () => {
  test('every field is prefilled from the base libraries and department records, with its source', async () => {
    const res = await civil().query(PREFILL, { form: 'low-income-assistance', subject: applicant.id });
    expect(res.errors).toBeUndefined();
    const form = res.data.prefillForm;
    expect(form).toMatchObject({ form: 'low-income-assistance', version: '1.0.0', subject: applicant.id, subjectFound: true, purpose: 'low-income-verification', caseNumber: 'DB-2026-0415' });
    const f = byName(form.fields);
    const person = await one(`select name, gender, to_char(birth_date, 'YYYY-MM-DD') as birth, marital_status, residence_division from person where id_number = $1 and valid_to is null`, [applicant.id]);
    expect(f.applicantName).toMatchObject({ value: person.name, status: 'prefilled', locked: true, editable: false, needsApplicant: false, certificate: '申请人居民身份证复印件' });
    expect(f.applicantIdNumber.value).toBe(applicant.id);
    expect(f.gender.value).toBe(person.gender);
    expect(f.birthDate.value).toBe(person.birth);
    expect(f.maritalStatus.value).toBe(person.marital_status);
    expect(f.registeredAddress).toMatchObject({ value: applicant.address, status: 'prefilled', source: { resource: 'population.household', department: 'public-security', system: 'public-security.hukou' } });
    expect(f.registeredAddress.source.recordVersion).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(f.registeredAddress.source.asOf).toMatch(/^\d{4}-\d\d-\d\dT/);
    const division = await one(`select name from division where code = $1`, [person.residence_division]);
    expect(f.residenceDivision.value).toBe(division.name);

    expect(f.householdSize.value).toBe(4);
    expect(f.householdMembers.value).toHaveLength(4);
    expect(new Set(f.householdMembers.value.map((m: { idNumber: string }) => m.idNumber))).toEqual(new Set(members.map((m) => m.id_number)));
    for (const m of f.householdMembers.value) {
      const db = members.find((x) => x.id_number === m.idNumber)!;
      expect(m).toEqual({ idNumber: db.id_number, name: db.name, relationToHead: db.relation_to_head, birthDate: db.birth_date, status: db.status });
    }
    expect(f.householdMembers.source.records).toHaveLength(4);

    const units = await sql(
      `select u.unit_number, u.usage, u.floor_area::float as area, u.address from property_unit u
        where u.valid_to is null and u.unit_number in (select unit_number from property_ownership where owner_id_number = $1 and valid_to is null)`,
      [applicant.id],
    );
    expect(f.propertyCount.value).toBe(units.length);
    expect(f.properties.value.map((p: { unitNumber: string }) => p.unitNumber).sort()).toEqual(units.map((u) => u.unit_number).sort());
    for (const p of f.properties.value) {
      const u = units.find((x) => x.unit_number === p.unitNumber)!;
      expect(p).toEqual({ unitNumber: u.unit_number, usage: u.usage, floorArea: u.area, address: u.address });
    }
    const certificates = await sql(
      `select certificate_number from property_ownership where valid_to is null and unit_number = any($1)`,
      [units.map((u) => u.unit_number)],
    );
    expect([...f.propertyCertificates.value].sort()).toEqual(certificates.map((c) => c.certificate_number).sort());
    const entities = await sql(`select credit_code from legal_entity where representative_id_number = $1 and valid_to is null`, [applicant.id]);
    expect(f.representedEntities.value.map((e: { creditCode: string }) => e.creditCode).sort()).toEqual(entities.map((e) => e.credit_code).sort());

    expect(f.vehicleCount).toMatchObject({ value: 2, status: 'prefilled', locked: true, source: { resource: 'vehicles.vehicle', department: 'public-security', system: 'public-security.vehicle-registry' } });
    expect(f.providentFundBase).toMatchObject({ value: 4200, status: 'prefilled', source: { resource: 'provident-fund.account', department: 'provident-fund' } });

    expect(f.monthlyIncome).toMatchObject({ value: null, status: 'needs_applicant', needsApplicant: true, locked: false, editable: true, certificate: '收入证明', reasons: ['applicant-supplied'], source: null });
    expect(form.certificatesRequired).toEqual(['收入证明']);
    expect(form.certificatesReplaced).toEqual(expect.arrayContaining(['户口簿复印件', '车辆登记情况证明（无车证明）', '无房证明']));
  });

  test('the seal is a JWS by the hub key over the locked values, the form version, the subject and the time', async () => {
    const res = await civil().query(PREFILL, { form: 'low-income-assistance', subject: applicant.id });
    const { payload, protectedHeader } = await compactVerify(res.data.prefillForm.seal, hub.services.audit.key.publicKey);
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: hub.services.audit.key.kid, typ: 'huitong-prefill-seal+jws' });
    const claims = JSON.parse(new TextDecoder().decode(payload));
    expect(claims).toMatchObject({ sub: applicant.id, form: 'low-income-assistance', formVersion: '1.0.0', department: 'civil-affairs', purpose: 'low-income-verification' });
    expect(Date.parse(claims.preparedAt)).toBeGreaterThan(Date.now() - 60_000);
    const locked = res.data.prefillForm.fields.filter((f: Field) => f.locked).map((f: Field) => f.name);
    expect(Object.keys(claims.fields).sort()).toEqual(locked.sort());
    // Values are sealed as salted digests: the seal does not carry the applicant's data in the clear.
    expect(JSON.stringify(claims)).not.toContain(applicant.address);
  });

  test('a workflow verifies a seal offline with the hub’s published public key', async () => {
    const res = await civil().query(PREFILL, { form: 'low-income-assistance', subject: applicant.id });
    const seal = res.data.prefillForm.seal as string;
    // The JWKS route is the key-management work's; where it is not served yet, the hub key's public JWK stands in.
    const published = await fetch(`${hub.url}/.well-known/jwks.json`);
    const { payload } =
      published.status === 200
        ? await compactVerify(seal, createLocalJWKSet((await published.json()) as { keys: JWK[] }))
        : await compactVerify(seal, await importJWK(hub.services.audit.key.publicJwk, 'EdDSA'));
    expect(JSON.parse(new TextDecoder().decode(payload)).sub).toBe(applicant.id);
  });

  test('a tampered submission is caught with the field named; the untouched one passes', async () => {
    const res = await civil().query(PREFILL, { form: 'low-income-assistance', subject: applicant.id });
    const form = res.data.prefillForm;
    const submitted = form.fields.map((f: Field) => ({ name: f.name, value: f.value }));
    const VERIFY = 'query ($seal: String!, $s: [PrefillSubmittedValue!]!) { verifyPrefill(seal: $seal, submitted: $s) { valid intact changed missing subject form } }';
    const intact = await civil().query(VERIFY, { seal: form.seal, s: submitted });
    expect(intact.data.verifyPrefill).toEqual({ valid: true, intact: true, changed: [], missing: [], subject: applicant.id, form: 'low-income-assistance' });

    const tampered = submitted.map((s: { name: string; value: unknown }) =>
      s.name === 'householdSize' ? { ...s, value: 2 } : s.name === 'monthlyIncome' ? { ...s, value: 800 } : s,
    ).filter((s: { name: string }) => s.name !== 'vehicleCount');
    const caught = await civil().query(VERIFY, { seal: form.seal, s: tampered });
    expect(caught.data.verifyPrefill).toMatchObject({ valid: true, intact: false, changed: ['householdSize'], missing: ['vehicleCount'] });

    const [h, p, s] = form.seal.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: members[1].id_number })).toString('base64url')}.${s}`;
    const refused = await civil().query(VERIFY, { seal: forged, s: submitted });
    expect(refused.data.verifyPrefill).toMatchObject({ valid: false, intact: false });
  });

  test('a change in a source after the prefill shows in the re-check, field by field', async () => {
    const res = await civil().query(PREFILL, { form: 'low-income-assistance', subject: applicant.id });
    const seal = res.data.prefillForm.seal;
    const RECHECK = `query ($seal: String!) { recheckPrefill(seal: $seal) { subject changed fields { name sealed changed valueChanged versionChanged now { value status source { recordVersion } } } } }`;
    const before = await civil().query(RECHECK, { seal });
    expect(before.errors).toBeUndefined();
    expect(before.data.recheckPrefill.changed).toEqual([]);

    // The household moves (a new version of its record), and a third vehicle is registered.
    await hub.owner.pool.query(
      `with old as (update household set valid_to = now() where number = $1 and valid_to is null returning *)
       insert into household (number, head_id_number, address, division_code, source_system, source_key, resource_code, resource_version, fetched_at, valid_from)
       select number, head_id_number, address || '（迁入新址）', division_code, source_system, source_key, resource_code, resource_version, now(), now() from old`,
      [applicant.household],
    );
    await insertDepartmentRecord(hub.owner.pool, {
      resource: 'vehicles.vehicle', key: '湘M00001', subject: applicant.id, system: 'public-security.vehicle-registry',
      payload: { ownerIdNumber: applicant.id, plateNumber: '湘M00001', vehicleType: '小型轿车', registeredOn: '2026-12-01' },
    });
    const after = await civil().query(RECHECK, { seal });
    const r = after.data.recheckPrefill;
    expect(r.subject).toBe(applicant.id);
    expect(r.changed.sort()).toEqual(['registeredAddress', 'vehicleCount']);
    const f = Object.fromEntries(r.fields.map((x: { name: string }) => [x.name, x]));
    expect(f.registeredAddress).toMatchObject({ sealed: true, changed: true, valueChanged: true, versionChanged: true, now: { value: `${applicant.address}（迁入新址）` } });
    expect(f.vehicleCount).toMatchObject({ changed: true, valueChanged: true, now: { value: 3 } });
    expect(f.applicantName).toMatchObject({ sealed: true, changed: false });
    expect(f.monthlyIncome).toMatchObject({ sealed: false, changed: false });
  });

  test('a department without a grant sees masked or withheld fields, told in the access report', async () => {
    const res = await hub.as('statistics', { purpose: 'statistical-analysis', caseNumber: 'TJ-7' }).query(PREFILL, { form: 'low-income-assistance', subject: applicant.id });
    expect(res.errors).toBeUndefined();
    const f = byName(res.data.prefillForm.fields);
    expect(f.applicantIdNumber).toMatchObject({ status: 'masked', value: `${applicant.id.slice(0, 6)}********${applicant.id.slice(-4)}` });
    expect(f.applicantName.status).toBe('masked');
    expect(f.applicantName.value).not.toBe(applicant.name);
    expect(f.registeredAddress).toMatchObject({ status: 'withheld', value: null, needsApplicant: true, locked: false, certificate: '户口簿复印件', reasons: ['no-grant'] });
    expect(f.vehicleCount).toMatchObject({ status: 'withheld', value: null, needsApplicant: true });
    expect(f.providentFundBase).toMatchObject({ status: 'withheld', value: null });
    expect(f.registeredAddress.source.system).toBeNull();
    expect(res.data.prefillForm.certificatesRequired).toEqual(expect.arrayContaining(['户口簿复印件', '车辆登记情况证明（无车证明）']));
    const access = res.extensions?.access as { masked: { path: unknown[] }[]; withheld: { path: unknown[]; reason: string }[] };
    const index = res.data.prefillForm.fields.findIndex((x: Field) => x.name === 'registeredAddress');
    expect(access.withheld).toContainEqual({ path: ['prefillForm', 'fields', index, 'value'], reason: 'no-grant' });
    expect(access.masked.length).toBeGreaterThan(0);
  });

  test('every prefill is in the audit trail with its purpose, case, subjects and fields', async () => {
    await civil('DB-AUDIT-1').query(PREFILL, { form: 'low-income-assistance', subject: applicant.id });
    const entry = await one(`select department, system, purpose, case_number, outcome, resources, subjects from audit_entry order by seq desc limit 1`);
    expect(entry).toMatchObject({ department: 'civil-affairs', system: 'dibao-workflow', purpose: 'low-income-verification', case_number: 'DB-AUDIT-1', outcome: 'ok' });
    expect(entry.subjects).toEqual(expect.arrayContaining([applicant.id, ...members.map((m) => m.id_number)]));
    const resources = Object.fromEntries((entry.resources as { resource: string; fields: string[] }[]).map((r) => [r.resource, r.fields]));
    expect(resources['population.household']).toContain('address');
    expect(resources['vehicles.vehicle']).toEqual(expect.arrayContaining(['arg:subject', 'plateNumber']));
    expect(resources['provident-fund.account']).toContain('contributionBase');
  });

  test('a prefill without a purpose or without a token is refused, and the refusal audited', async () => {
    const noPurpose = await hub.as('civil-affairs').query(PREFILL, { form: 'low-income-assistance', subject: applicant.id });
    expect(noPurpose.errors?.[0].extensions?.code).toBe('PURPOSE_REQUIRED');
    expect((await one(`select outcome, department from audit_entry order by seq desc limit 1`))).toMatchObject({ department: 'civil-affairs', outcome: expect.stringMatching(/PURPOSE_REQUIRED/) });
    const noToken = await hub.query(PREFILL, { form: 'low-income-assistance', subject: applicant.id });
    expect(noToken.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  test('a valid ID number nobody holds: every sourced field needs the applicant, and the look-up is audited', async () => {
    const nobody = '431121197809200059';
    const res = await civil('DB-NOBODY').query(PREFILL, { form: 'low-income-assistance', subject: nobody });
    expect(res.errors).toBeUndefined();
    const form = res.data.prefillForm;
    expect(form).toMatchObject({ subject: nobody, subjectFound: false });
    const f = byName(form.fields);
    expect(f.applicantName).toMatchObject({ value: null, status: 'needs_applicant', reasons: ['no-record'], locked: false });
    expect(f.householdMembers).toMatchObject({ status: 'needs_applicant', needsApplicant: true });
    expect(f.householdSize).toMatchObject({ value: null, status: 'needs_applicant' });
    expect(f.vehicleCount).toMatchObject({ value: null, status: 'needs_applicant', reasons: ['no-record'] });
    expect(await hub.audit.entriesAbout(nobody)).toMatchObject([{ department: 'civil-affairs', purpose: 'low-income-verification' }]);
  });

  test('a legacy 15-digit number is normalised to the 18-character one it stands for', async () => {
    const legacy = await one(`select id_number as id from person where valid_to is null and substr(id_number, 7, 2) = '19' limit 1`);
    const fifteen = legacy.id.slice(0, 6) + legacy.id.slice(8, 17);
    const res = await civil().query(PREFILL, { form: 'low-income-assistance', subject: fifteen });
    expect(res.data.prefillForm).toMatchObject({ subject: legacy.id, subjectFound: true });
  });

  test('an invalid subject is BAD_USER_INPUT; an unknown form NOT_FOUND', async () => {
    const bad = await civil().query(PREFILL, { form: 'low-income-assistance', subject: '431102198503120212' });
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'subject' });
    const unknown = await civil().query(PREFILL, { form: 'no-such-form', subject: applicant.id });
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
