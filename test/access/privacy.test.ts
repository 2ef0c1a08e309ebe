import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { grantDemoAccess, seedCity } from '../../src/simulate/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/** Issue 10, points 1, 2 and 4: no path to personal data around the guard, the purpose or the audit. */
let hub: TestHub;
const one = async <T>(sql: string, params: unknown[] = []) => (await hub.db.pool.query(sql, params)).rows[0] as T;
const last = async () => (await hub.db.pool.query('select department, system, purpose, operation_name as "operationName", resources, subjects, outcome from audit_entry order by seq desc limit 1')).rows[0];
const entryCount = async () => (await one<{ n: number }>('select count(*)::int as n from audit_entry')).n;

beforeAll(async () => {
  hub = await startTestHub({ HUITONG_RATE_LIMIT_PER_MINUTE: '40' });
  await seedCity(hub.owner.pool, { persons: 1500, seed: 11 });
  await grantDemoAccess(hub.db.pool);
  await hub.services.catalog.reload();
});
afterAll(() => hub?.close());

const statistics = () => hub.as('statistics', { system: 'tj', purpose: 'statistical-analysis', caseNumber: 'TJ-1' });
const civil = () => hub.as('civil-affairs', { system: 'mz', purpose: 'low-income-verification', caseNumber: 'YZ-1' });
const masked = (id: string) => `${id.slice(0, 6)}********${id.slice(-4)}`;

describe('provenance is released only through the policy', () => {
  test('without a grant, a person’s source key is masked like the ID number it is, and the delivery fields are withheld', async () => {
    const res = await statistics().query('{ persons(first: 2) { edges { node { idNumber name provenance { sourceKey sourceSystem fetchedAt } } } } }');
    expect(res.errors).toBeUndefined();
    for (const { node } of res.data.persons.edges) {
      expect(node.idNumber).toMatch(/^\d{6}\*{8}[\dX]{4}$/);
      expect(node.provenance.sourceKey).toBe(node.idNumber);
      expect(node.provenance.sourceKey).not.toMatch(/^\d{17}[\dX]$/);
      expect(node.provenance).toMatchObject({ sourceSystem: null, fetchedAt: null });
    }
    expect(res.extensions?.access).toMatchObject({ masked: expect.arrayContaining([{ path: ['persons', 'edges', 0, 'node', 'provenance', 'sourceKey'], rule: 'id-number' }]) });
    expect((await last()).resources).toContainEqual(expect.objectContaining({ resource: 'population.person', fields: expect.arrayContaining(['provenance.sourceKey']) }));
  });

  test('a household’s source key is withheld from a caller who may not see its number; a grantee sees it in the clear', async () => {
    const { id } = await one<{ id: string }>(`select id_number as id from person where household_number is not null limit 1`);
    const doc = `query ($id: String!) { person(idNumber: $id) { provenance { sourceKey sourceSystem } household { number provenance { sourceKey } } } }`;
    const denied = await statistics().query(doc, { id });
    expect(denied.errors).toBeUndefined();
    expect(denied.data.person.household).toEqual({ number: null, provenance: { sourceKey: null } });
    const granted = await civil().query(doc, { id });
    expect(granted.data.person.provenance).toEqual({ sourceKey: id, sourceSystem: 'public-security.hukou' });
    expect(granted.data.person.household.provenance.sourceKey).toBe(granted.data.person.household.number);
  });

  test('the served schema makes every decided field nullable (a withheld Person.idNumber never fails its parent)', async () => {
    const res = await statistics().query('{ __type(name: "Person") { fields { name type { kind } } } }');
    const idNumber = res.data.__type.fields.find((f: { name: string }) => f.name === 'idNumber');
    expect(idNumber.type.kind).toBe('SCALAR');
  });
});

describe('counts, filters and arguments need a purpose, respect field grants and are audited', () => {
  test('a count by name and birth year without a purpose is refused and recorded', async () => {
    const res = await hub.as('statistics').query('{ persons(filter: { name: "邱鑫", bornFrom: "1926-01-01", bornTo: "1926-12-31" }) { totalCount } }');
    expect(res.errors?.[0].extensions?.code).toBe('PURPOSE_REQUIRED');
    expect(res.data ?? null).toBeNull();
    expect(await last()).toMatchObject({ department: 'statistics', outcome: 'denied:PURPOSE_REQUIRED' });
  });

  test('a bare pageInfo of a filtered list also needs a purpose', async () => {
    const res = await hub.as('statistics').query('{ persons(filter: { name: "邱" }) { pageInfo { hasNextPage } } }');
    expect(res.errors?.[0].extensions?.code).toBe('PURPOSE_REQUIRED');
  });

  test.each([
    ['name', '{ persons(filter: { name: "邱" }) { totalCount } }', 'filter.name'],
    ['birth date', '{ persons(filter: { bornFrom: "1926-01-01" }) { totalCount } }', 'filter.bornFrom'],
    ['status', '{ persons(filter: { status: deceased }) { edges { node { gender } } } }', 'filter.status'],
    ['division of residence', '{ persons(filter: { divisionCode: "431102" }) { totalCount } }', 'filter.divisionCode'],
  ])('a caller who may see %s only masked or not at all may not search by it', async (_item, doc, argument) => {
    const res = await statistics().query(doc);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'filter-not-granted', argument });
    expect(res.data ?? null).toBeNull();
    expect((await last()).outcome).toBe('denied:FORBIDDEN');
  });

  test('a grantee may search and count by name, and the entry records the filter and the count', async () => {
    const { name } = await one<{ name: string }>('select name from person limit 1');
    const res = await civil().query('query Count($name: String!) { persons(filter: { name: $name }) { totalCount } }', { name });
    expect(res.errors).toBeUndefined();
    expect(res.data.persons.totalCount).toBeGreaterThan(0);
    expect(await last()).toMatchObject({
      operationName: 'Count',
      outcome: 'ok',
      resources: [{ resource: 'population.person', fields: ['arg:filter.name', 'count'], subjects: [] }],
    });
  });

  test('propertiesOf a person with no property leaves an entry naming that person', async () => {
    const { id } = await one<{ id: string }>(
      `select id_number as id from person p where not exists (select 1 from property_ownership o where o.owner_id_number = p.id_number) limit 1`,
    );
    const res = await civil().query('query ($id: String!) { propertiesOf(idNumber: $id) { unitNumber } }', { id });
    expect(res.data.propertiesOf).toEqual([]);
    expect(await hub.audit.entriesAbout(id)).toMatchObject([
      { department: 'civil-affairs', resources: [{ resource: 'property.ownership', fields: ['arg:idNumber'], subjects: [id] }] },
    ]);
  });

  test('a look-up of a number nobody holds names it in the entry', async () => {
    await civil().query('{ person(idNumber: "431121197809200059") { name } }');
    expect(await hub.audit.entriesAbout('431121197809200059')).toHaveLength(1);
  });
});

describe('the data tracker sees every identifier released through a link', () => {
  const tracked = async (subject: string) => {
    const res = await hub.as('data-bureau', { roles: ['auditor'] }).query(
      'query ($s: ID!) { accessLog(subject: $s) { edges { node { department resources { resource fields } } } } }',
      { s: subject },
    );
    return res.data.accessLog.edges.map((e: { node: unknown }) => e.node);
  };

  test('household { headIdNumber } names the head', async () => {
    const { id, head } = await one<{ id: string; head: string }>(
      `select p.id_number as id, h.head_id_number as head from person p join household h on h.number = p.household_number and h.valid_to is null
        where p.valid_to is null and p.relation_to_head <> 'head' limit 1`,
    );
    const res = await civil().query('query ($id: String!) { person(idNumber: $id) { household { headIdNumber } } }', { id });
    expect(res.data.person.household.headIdNumber).toBe(head);
    expect(await tracked(head)).toContainEqual({ department: 'civil-affairs', resources: [{ resource: 'population.household', fields: ['headIdNumber'] }] });
  });

  test('a masked headIdNumber still names the head', async () => {
    const { number, head } = await one<{ number: string; head: string }>(`select number, head_id_number as head from household where valid_to is null limit 1`);
    const res = await statistics().query('query ($n: String!) { household(number: $n) { headIdNumber } }', { n: number });
    expect(res.data.household.headIdNumber).toBe(masked(head));
    expect((await last()).subjects).toEqual([head, number].sort());
  });

  test('ownerIdNumber, holderIdNumber and representativeIdNumber name the persons they link to', async () => {
    const owned = await one<{ unit: string; owner: string }>(
      `select unit_number as unit, owner_id_number as owner from property_ownership where owner_id_number is not null and valid_to is null limit 1`,
    );
    await civil().query('query ($u: String!) { property(unitNumber: $u) { owners { ownerIdNumber } } }', { u: owned.unit });
    expect(await tracked(owned.owner)).toContainEqual(expect.objectContaining({ resources: [{ resource: 'property.ownership', fields: expect.arrayContaining(['ownerIdNumber']) }] }));

    const held = await one<{ code: string; holder: string }>(
      `select credit_code as code, holder_id_number as holder from shareholding where holder_id_number is not null and valid_to is null limit 1`,
    );
    await civil().query('query ($c: String!) { legalEntity(creditCode: $c) { shareholders { holderIdNumber } } }', { c: held.code });
    expect(await tracked(held.holder)).toContainEqual(expect.objectContaining({ resources: [{ resource: 'legal-entity.shareholding', fields: expect.arrayContaining(['holderIdNumber']) }] }));

    const led = await one<{ code: string; rep: string }>(
      `select credit_code as code, representative_id_number as rep from legal_entity where representative_id_number is not null and valid_to is null limit 1`,
    );
    await civil().query('query ($c: String!) { legalEntity(creditCode: $c) { representativeIdNumber } }', { c: led.code });
    expect(await tracked(led.rep)).toContainEqual(
      expect.objectContaining({ resources: [{ resource: 'legal-entity.entity', fields: expect.arrayContaining(['representativeIdNumber']) }] }),
    );
  });
});

describe('refused attempts are in the audit chain', () => {
  const DOC = '{ division(code: "431103") { name } }';

  test('a bad token', async () => {
    const before = await entryCount();
    const res = await hub.query(DOC, {}, { authorization: 'Bearer not.a.token' });
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await entryCount()).toBe(before + 1);
    expect(await last()).toMatchObject({ department: '(unauthenticated)', system: '(unauthenticated)', outcome: expect.stringMatching(/^refused:UNAUTHENTICATED:/) });
  });

  test('an unknown purpose, under the caller’s name', async () => {
    const res = await hub.as('statistics', { system: 'tj', purpose: 'curiosity' }).query(DOC);
    expect(res.errors?.[0].extensions?.code).toBe('PURPOSE_REQUIRED');
    expect(await last()).toMatchObject({ department: 'statistics', system: 'tj', outcome: 'refused:PURPOSE_REQUIRED:unknown-purpose' });
  });

  test('an operation limit', async () => {
    const deep = `{ division(code: "431103") { ${'parent { '.repeat(12)}code${' }'.repeat(12)} } }`;
    const res = await statistics().query(deep);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'max-depth' });
    expect(await last()).toMatchObject({ department: 'statistics', outcome: 'refused:BAD_USER_INPUT:max-depth' });
  });

  test('the rate limit', async () => {
    const caller = hub.as('statistics', { system: 'burst', purpose: 'statistical-analysis' });
    let refused = null;
    for (let i = 0; i < 45 && !refused; i++) {
      const res = await caller.query(DOC);
      if (res.errors?.[0].extensions?.code === 'RATE_LIMITED') refused = res;
    }
    expect(refused).not.toBeNull();
    expect(await last()).toMatchObject({ department: 'statistics', system: 'burst', outcome: 'refused:RATE_LIMITED' });
  });

  test('a query an auditor alone may make, asked by a consumer', async () => {
    const res = await statistics().query('{ auditVerification { ok } }');
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await last()).toMatchObject({ department: 'statistics', outcome: 'refused:FORBIDDEN:role-required' });
  });

  test('the chain with refusals in it verifies', async () => {
    const res = await hub.as('data-bureau', { roles: ['auditor'] }).query('{ auditVerification { ok } }');
    expect(res.data.auditVerification.ok).toBe(true);
  });
});
