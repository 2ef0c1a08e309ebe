import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { grantDemoAccess, seedCity } from '../../src/simulate/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { watchStatements } from '../support/statements.js';

let hub: TestHub;
const one = async <T>(sql: string, params: unknown[] = []) => (await hub.db.pool.query(sql, params)).rows[0] as T;

beforeAll(async () => {
  hub = await startTestHub();
  await seedCity(hub.owner.pool, { persons: 3000, seed: 7 });
  // The demo's grants: civil affairs may read the base libraries for low-income checks.
  await grantDemoAccess(hub.db.pool);
  await hub.services.catalog.reload();
});
afterAll(() => hub?.close());

/** A civil-affairs system checking a low-income household: the purpose every look-up here states. */
const ask: TestHub['query'] = (query, variables, headers) =>
  hub.as('civil-affairs', { purpose: 'low-income-verification', caseNumber: 'YZ-2026-0001' }).query(query, variables, headers);

const codeOf = (res: { errors?: { extensions?: Record<string, unknown> }[] }) => res.errors?.[0]?.extensions;

test('a look-up of persons, entities or property that states no purpose is refused before it runs', async () => {
  const caller = hub.as('civil-affairs');
  for (const doc of [
    `{ person(idNumber: "431102198503120211") { name } }`,
    `{ legalEntity(creditCode: "91431103MA4PB3K7XN") { name } }`,
    `{ propertiesOf(idNumber: "431102198503120211") { unitNumber } }`,
  ]) {
    const res = await caller.query(doc);
    expect(codeOf(res)).toMatchObject({ code: 'PURPOSE_REQUIRED' });
  }
});

describe('population', () => {
  test('a person is found by ID number with household, members, division and provenance', async () => {
    const { id } = await one<{ id: string }>(`select id_number as id from person where relation_to_head = 'spouse' limit 1`);
    const res = await ask(
      `query ($id: String!) { person(idNumber: $id) {
         idNumber name gender birthDate ethnicity status relationToHead validTo
         provenance { sourceSystem resourceCode }
         residenceDivision { level parent { level } }
         household { number head { relationToHead } members { idNumber relationToHead } } } }`,
      { id },
    );
    expect(res.errors).toBeUndefined();
    const p = res.data.person;
    expect(p).toMatchObject({ idNumber: id, relationToHead: 'spouse', validTo: null, provenance: { sourceSystem: 'public-security.hukou', resourceCode: 'population.person' } });
    expect(p.residenceDivision).toEqual({ level: 'village', parent: { level: 'township' } });
    expect(p.household.head.relationToHead).toBe('head');
    expect(p.household.members[0].relationToHead).toBe('head');
    expect(p.household.members.map((m: { idNumber: string }) => m.idNumber)).toContain(id);
    expect(p.gender).toBe(Number(id[16]) % 2 ? 'male' : 'female');
    expect(p.birthDate).toBe(`${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`);
  });

  test('a lowercase x and a legacy 15-digit number find the same person', async () => {
    const { id } = await one<{ id: string }>(`select id_number as id from person where id_number like '%X' limit 1`);
    const res = await ask(`query ($id: String!) { person(idNumber: $id) { idNumber } }`, { id: id.toLowerCase() });
    expect(res.data.person.idNumber).toBe(id);
    const { legacy } = await one<{ legacy: string }>(`select id_number as legacy from person where substr(id_number, 7, 2) = '19' limit 1`);
    const fifteen = legacy.slice(0, 6) + legacy.slice(8, 17);
    const converted = await ask(`query ($id: String!) { person(idNumber: $id) { idNumber } }`, { id: fifteen });
    expect(converted.data.person.idNumber).toBe(legacy);
  });

  test('a valid number nobody holds is null, and a historical address code is valid', async () => {
    const res = await ask(`{ a: person(idNumber: "431121197809200059") { name } b: person(idNumber: "440524188001010014") { name } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ a: null, b: null });
  });

  test.each([
    ['431102198503120212', 'bad checksum'],
    ['431123199902290353', 'impossible birth date'],
    ['431124200113070464', 'impossible birth date'],
    ['431150198805060278', 'unknown division'],
  ])('the invalid number %s is BAD_USER_INPUT naming the argument: %s', async (id, reason) => {
    const res = await ask(`query ($id: String!) { person(idNumber: $id) { name } }`, { id });
    expect(codeOf(res)).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'idNumber', reason });
  });

  test('a change creates a new version, and asOf answers as the record stood then', async () => {
    const { id, name } = await one<{ id: string; name: string }>(`select id_number as id, name from person where status = 'living' limit 1`);
    const { before } = await one<{ before: string }>(`select now()::text as before`);
    await new Promise((r) => setTimeout(r, 20));
    await hub.db.pool.query(`
      with closed as (update person set valid_to = now() where id_number = $1 and valid_to is null returning *)
      insert into person (id_number, name, former_names, gender, birth_date, ethnicity, residence_division, address, marital_status, status,
        household_number, relation_to_head, source_system, source_key, resource_code, resource_version, fetched_at, valid_from)
      select id_number, '改名后', array_append(former_names, name), gender, birth_date, ethnicity, residence_division, address, marital_status, status,
        household_number, relation_to_head, source_system, source_key, resource_code, '1.1', now(), now() from closed`, [id]);
    const q = `query ($id: String!, $asOf: String) { person(idNumber: $id, asOf: $asOf) { name formerNames validTo household { number } } }`;
    const now = await ask(q, { id });
    expect(now.data.person).toMatchObject({ name: '改名后', formerNames: expect.arrayContaining([name]), validTo: null });
    const then = await ask(q, { id, asOf: new Date(before).toISOString() });
    expect(then.data.person.name).toBe(name);
    expect(then.data.person.validTo).not.toBeNull();
    expect(then.data.person.household).not.toBeNull();
    const long = await ask(q, { id, asOf: '2000-01-01' });
    expect(long.data.person).toBeNull();
    const bad = await ask(q, { id, asOf: 'yesterday' });
    expect(codeOf(bad)).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'asOf' });
  });

  test('a batch answers in the order asked, null for the unknown, in one SQL round trip', async () => {
    const ids = (await hub.db.pool.query(`select id_number from person where valid_to is null order by id_number desc limit 3`)).rows.map((r) => r.id_number);
    const asked = [ids[2], '431102198503120211', ids[0], ids[1]];
    const statements = await countStatements(async () => {
      const res = await ask(`query ($ids: [String!]!) { personsByIdNumbers(idNumbers: $ids) { idNumber } }`, { ids: asked });
      expect(res.data.personsByIdNumbers).toEqual([{ idNumber: ids[2] }, null, { idNumber: ids[0] }, { idNumber: ids[1] }]);
    });
    expect(statements).toBe(1);
  });

  test('a batch of more than 100, or with one bad number, is BAD_USER_INPUT naming it', async () => {
    const many = await ask(`query ($ids: [String!]!) { personsByIdNumbers(idNumbers: $ids) { idNumber } }`, { ids: Array(101).fill('431102198503120211') });
    expect(codeOf(many)).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'idNumbers' });
    const bad = await ask(`query ($ids: [String!]!) { personsByIdNumbers(idNumbers: $ids) { idNumber } }`, { ids: ['431102198503120211', '431102198503120212'] });
    expect(codeOf(bad)).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'idNumbers[1]', reason: 'bad checksum' });
  });

  test('persons are found by fuzzy name, division at any level and birth-date range, page by page', async () => {
    const { name } = await one<{ name: string }>(`select name from person where length(name) = 3 and valid_to is null limit 1`);
    const byName = await ask(`query ($n: String) { persons(filter: { name: $n }, first: 5) { totalCount edges { node { name } } } }`, { n: name });
    expect(byName.data.persons.edges[0].node.name).toBe(name);
    const bySurname = await ask(`query ($n: String) { persons(filter: { name: $n }, first: 5) { edges { node { name } } } }`, { n: name[0] });
    expect(bySurname.data.persons.edges.length).toBeGreaterThan(0);
    for (const { node } of bySurname.data.persons.edges) expect(node.name[0]).toBe(name[0]);

    const { county, n } = await one<{ county: string; n: number }>(
      `select substr(residence_division, 1, 6) as county, count(*)::int as n from person where valid_to is null group by 1 order by 2 desc limit 1`);
    const q = `query ($f: PersonFilter, $after: String) { persons(filter: $f, first: 10, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { cursor node { idNumber birthDate residenceDivision { code } } } } }`;
    const first = await ask(q, { f: { divisionCode: county, bornFrom: '1980-01-01', bornTo: '1989-12-31' } });
    const page = first.data.persons;
    expect(page.totalCount).toBeGreaterThan(10);
    expect(page.totalCount).toBeLessThan(n);
    for (const { node } of page.edges) {
      expect(node.residenceDivision.code.startsWith(county)).toBe(true);
      expect(node.birthDate >= '1980-01-01' && node.birthDate <= '1989-12-31').toBe(true);
    }
    const second = await ask(q, { f: { divisionCode: county, bornFrom: '1980-01-01', bornTo: '1989-12-31' }, after: page.pageInfo.endCursor });
    expect(second.data.persons.edges[0].node.idNumber > page.edges[9].node.idNumber).toBe(true);

    const city = await ask(`{ persons(filter: { divisionCode: "431100" }) { totalCount } }`);
    expect(city.data.persons.totalCount).toBe(3000);
  });

  test('an unknown division or an impossible date in a filter is BAD_USER_INPUT', async () => {
    const division = await ask(`{ persons(filter: { divisionCode: "431150" }) { totalCount } }`);
    expect(codeOf(division)).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.divisionCode', reason: 'unknown division' });
    const date = await ask(`{ persons(filter: { bornFrom: "1999-02-29" }) { totalCount } }`);
    expect(codeOf(date)).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.bornFrom' });
  });

  test('a household answers by number with its members, head first', async () => {
    const { number } = await one<{ number: string }>(
      `select household_number as number from person where valid_to is null group by 1 having count(*) >= 3 limit 1`);
    const res = await ask(`query ($n: String!) { household(number: $n) { number headIdNumber division { level } members { relationToHead } } }`, { n: number });
    expect(res.data.household.number).toBe(number);
    expect(res.data.household.members.length).toBeGreaterThanOrEqual(3);
    expect(res.data.household.members[0].relationToHead).toBe('head');
  });
});

describe('legal entities', () => {
  test('an entity answers with representative, shareholders, economic facts and properties', async () => {
    const { code } = await one<{ code: string }>(`
      select e.credit_code as code from legal_entity e
      where e.kind = 'enterprise' and exists(select 1 from economic_facts f where f.credit_code = e.credit_code)
        and exists(select 1 from property_ownership o where o.owner_credit_code = e.credit_code) limit 1`);
    const res = await ask(
      `query ($c: String!) { legalEntity(creditCode: $c) {
         creditCode kind status industryCode division { level }
         representative { idNumber representedEntities { creditCode } }
         shareholders { share holder { __typename ... on Person { idNumber } ... on LegalEntity { creditCode } } }
         economicFacts { year employees insuredEmployees revenueBand taxPaid provenance { sourceSystem } }
         properties { unitNumber owners { ownerCreditCode } } } }`,
      { c: code.toLowerCase() },
    );
    expect(res.errors).toBeUndefined();
    const e = res.data.legalEntity;
    expect(e).toMatchObject({ creditCode: code, kind: 'enterprise', division: { level: 'village' } });
    expect(e.representative.representedEntities.map((r: { creditCode: string }) => r.creditCode)).toContain(code);
    expect(e.shareholders.reduce((sum: number, s: { share: number }) => sum + s.share, 0)).toBeCloseTo(100);
    expect(e.shareholders[0].holder.__typename).toBe('Person');
    expect(e.economicFacts[0].provenance.sourceSystem).toBe('tax.levy');
    expect(e.properties[0].owners[0].ownerCreditCode).toBe(code);
  });

  test.each([
    ['91431103MA4PB3K7XP', 'bad checksum'],
    ['95431103MA4PB3K7XA', 'no organisation type 5 under registration authority 9'],
  ])('the invalid credit code %s is BAD_USER_INPUT: %s', async (code, reason) => {
    const res = await ask(`query ($c: String!) { legalEntity(creditCode: $c) { name } }`, { c: code });
    expect(codeOf(res)).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'creditCode', reason });
  });

  test('entities are listed by kind and division, with a count', async () => {
    const res = await ask(`{ legalEntities(filter: { kind: individual_business, divisionCode: "431100" }, first: 3) {
      totalCount edges { node { kind shareholders { share } } } } }`);
    expect(res.data.legalEntities.totalCount).toBeGreaterThan(3);
    for (const { node } of res.data.legalEntities.edges) expect(node).toEqual({ kind: 'individual_business', shareholders: [{ share: 100 }] });
  });
});

describe('property', () => {
  test('a unit answers with owners, encumbrances and division, and the owners link back', async () => {
    const { unit } = await one<{ unit: string }>(`select unit_number as unit from encumbrance where kind = 'mortgage' limit 1`);
    const res = await ask(
      `query ($u: String!) { property(unitNumber: $u) { unitNumber kind usage floorArea division { level }
         owners { share certificateNumber owner { ... on Person { idNumber properties { unitNumber } } } }
         encumbrances { kind holder certificateNumber startsOn } } }`,
      { u: unit },
    );
    expect(res.errors).toBeUndefined();
    const p = res.data.property;
    expect(p).toMatchObject({ unitNumber: unit, kind: 'building', division: { level: 'village' } });
    expect(p.owners[0].certificateNumber).toMatch(/^湘\(\d{4}\)永州市不动产权第\d{7}号$/);
    expect(p.owners[0].owner.properties.map((u: { unitNumber: string }) => u.unitNumber)).toContain(unit);
    expect(p.encumbrances[0]).toMatchObject({ kind: 'mortgage', certificateNumber: expect.stringContaining('不动产证明') });
  });

  test('propertiesOf answers for a person or an entity, and wants exactly one of them', async () => {
    const { id, n } = await one<{ id: string; n: number }>(
      `select owner_id_number as id, count(*)::int as n from property_ownership where owner_id_number is not null group by 1 order by 2 desc limit 1`);
    const res = await ask(`query ($id: String) { propertiesOf(idNumber: $id) { unitNumber } }`, { id });
    expect(res.data.propertiesOf).toHaveLength(n);
    const neither = await ask(`{ propertiesOf { unitNumber } }`);
    expect(codeOf(neither)).toMatchObject({ code: 'BAD_USER_INPUT' });
    const badUnit = await ask(`{ property(unitNumber: "431103004002GA00015W00000000") { kind } }`);
    expect(codeOf(badUnit)).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'unitNumber' });
  });
});

// Ten persons: every unpaged list (members, properties, owners) counts toward the cost limit, so
// fifty persons with lists of lists exceed it.
test('10 persons with households, members, divisions and properties take the same few SQL statements as 2', async () => {
  const query = `query ($first: Int) { persons(first: $first) { edges { node {
    idNumber residenceDivision { name }
    household { number division { name } head { name } members { name } }
    properties { unitNumber owners { share owner { ... on Person { name } } } division { name } }
    representedEntities { name } } } } }`;
  const run = async (first: number) => {
    let data: any;
    const statements = await countStatements(async () => {
      const res = await ask(query, { first });
      expect(res.errors).toBeUndefined();
      data = res.data;
    });
    expect(data.persons.edges).toHaveLength(first);
    return { statements, withProperties: data.persons.edges.filter((e: any) => e.node.properties.length).length };
  };
  const ten = await run(10);
  expect(ten.withProperties).toBeGreaterThan(1);
  // One statement per kind of link and depth (search; divisions and persons at two depths;
  // households, members, properties owned, owners, entities represented), whatever the number of persons.
  expect(ten.statements).toBeLessThanOrEqual(10);
  expect((await run(2)).statements).toBeLessThanOrEqual(ten.statements);
});

/** Counts the SQL statements the hub's pool runs for data while `work` runs. */
async function countStatements(work: () => Promise<void>): Promise<number> {
  const watch = watchStatements(hub.db.pool);
  try {
    await work();
    return watch.sql.length;
  } finally {
    watch.restore();
  }
}

test('statistics, holding no grant on personal data, sees ID numbers and names masked, and is told so', async () => {
  const { id, name } = await one<{ id: string; name: string }>(`select id_number as id, name from person where valid_to is null limit 1`);
  const doc = `query ($id: String!) { person(idNumber: $id) { idNumber name } }`;
  const clear = await ask(doc, { id });
  expect(clear.data.person).toEqual({ idNumber: id, name });

  const res = await hub.as('statistics', { purpose: 'statistical-analysis', caseNumber: 'TJ-2026-01' }).query(doc, { id });
  expect(res.errors).toBeUndefined();
  expect(res.data.person.idNumber).toBe(`${id.slice(0, 6)}********${id.slice(-4)}`);
  expect(res.data.person.name).not.toBe(name);
  expect(res.data.person.name.startsWith(name[0])).toBe(true);
  expect(res.extensions?.access).toMatchObject({
    masked: expect.arrayContaining([
      { path: ['person', 'idNumber'], rule: 'id-number' },
      { path: ['person', 'name'], rule: 'name' },
    ]),
  });
});
