import { afterAll, beforeAll, expect, test } from 'vitest';
import { checkCreditCode } from '../../src/registries/legal-entities/index.js';
import { checkIdNumber, everValidCountyCodes } from '../../src/registries/population/index.js';
import { checkUnitNumber } from '../../src/registries/property/index.js';
import { seedCity } from '../../src/simulate/index.js';
import { createTestDatabase } from '../support/hub.js';

let a: Awaited<ReturnType<typeof createTestDatabase>>;
let b: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  await Promise.all([seedCity(a.db.pool, { persons: 4000, seed: 11 }), seedCity(b.db.pool, { persons: 4000, seed: 11 })]);
});
afterAll(async () => {
  await Promise.all([a?.drop(), b?.drop()]);
});

const rows = async (db: typeof a, sql: string) => (await db.db.pool.query(sql)).rows;

test('the same seed gives the same city', async () => {
  const people = `select id_number, name, household_number, relation_to_head from person order by id_number`;
  expect(await rows(a, people)).toEqual(await rows(b, people));
  const entities = `select credit_code, name, representative_id_number from legal_entity order by credit_code`;
  expect(await rows(a, entities)).toEqual(await rows(b, entities));
});

test('every ID number, credit code and unit number is valid, and gender and birth date agree with the number', async () => {
  const codes = await everValidCountyCodes(a.db.pool);
  for (const p of await rows(a, `select id_number, gender, birth_date from person`)) {
    const checked = checkIdNumber(p.id_number, codes, { gender: p.gender });
    expect(checked).toMatchObject({ ok: true, parts: { birthDate: p.birth_date } });
  }
  for (const e of await rows(a, `select credit_code from legal_entity`)) expect(checkCreditCode(e.credit_code).ok).toBe(true);
  for (const u of await rows(a, `select unit_number from property_unit`)) expect(checkUnitNumber(u.unit_number).ok).toBe(true);
});

test('households have 1 to 6 members, one head each, on real Yongzhou villages', async () => {
  const sizes = await rows(a, `select count(*)::int as n, count(*) filter (where relation_to_head = 'head')::int as heads
    from person group by household_number`);
  expect(sizes.every((s) => s.n >= 1 && s.n <= 6 && s.heads === 1)).toBe(true);
  const [{ outside }] = await rows(a, `select count(*)::int as outside from household h join division d on d.code = h.division_code
    where d.level <> 'village' or h.division_code not like '4311%'`);
  expect(outside).toBe(0);
});

test('the population has children, working ages and the old, Yao people in Jianghua, and pre-2021 Qiyang codes', async () => {
  const [ages] = await rows(a, `select
    avg((birth_date > '2008-01-01')::int) as children, avg((birth_date < '1961-01-01')::int) as old,
    avg((ethnicity = '瑶族')::int) filter (where residence_division like '431129%') as yao_jianghua,
    avg((ethnicity = '瑶族')::int) filter (where residence_division like '431103%') as yao_lengshuitan,
    count(*) filter (where id_number like '431121%')::int as qiyang_old from person`);
  expect(Number(ages.children)).toBeGreaterThan(0.1);
  expect(Number(ages.children)).toBeLessThan(0.35);
  expect(Number(ages.old)).toBeGreaterThan(0.08);
  expect(Number(ages.yao_jianghua)).toBeGreaterThan(0.4);
  expect(Number(ages.yao_lengshuitan)).toBeLessThan(0.1);
  expect(ages.qiyang_old).toBeGreaterThan(0);
});

test('most households own their home, entities have representatives from the city, and some units are encumbered', async () => {
  const [r] = await rows(a, `select
    (select avg((exists(select 1 from property_ownership o where o.owner_id_number = h.head_id_number))::int) from household h) as owning,
    (select count(*) from legal_entity e where not exists(select 1 from person p where p.id_number = e.representative_id_number))::int as strangers,
    (select count(*) from encumbrance)::int as encumbrances,
    (select count(*) from economic_facts)::int as facts`);
  expect(Number(r.owning)).toBeGreaterThan(0.75);
  expect(r.strangers).toBe(0);
  expect(r.encumbrances).toBeGreaterThan(0);
  expect(r.facts).toBeGreaterThan(0);
});

test('a hub that already holds records is refused unless replacing', async () => {
  await expect(seedCity(a.db.pool, { persons: 10 })).rejects.toThrow(/already hold records/);
  const counts = await seedCity(b.db.pool, { persons: 10, replace: true });
  expect(counts.persons).toBe(10);
  expect((await rows(b, `select count(*)::int as n from person`))[0].n).toBe(10);
});
