import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, startTestHub, type TestHub } from '../support/hub.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.drop());

const count = async (sql: string, params: unknown[] = []) =>
  (await database.db.pool.query<{ n: number }>(sql, params)).rows[0].n;

test('Yongzhou has its 13 county-level units, 195 townships and 3,331 villages (2023 codes)', async () => {
  expect(await count(`select count(*)::int n from division where parent_code = '431100' and valid_to is null`)).toBe(13);
  expect(await count(`select count(*)::int n from division where level = 'township' and code like '4311%'`)).toBe(195);
  expect(await count(`select count(*)::int n from division where level = 'village' and code like '4311%'`)).toBe(3331);
});

test('the hierarchy runs from village to province', async () => {
  const { rows } = await database.db.pool.query(`
    with recursive up as (
      select code, name, level, parent_code from division where code = '431103001001'
      union all select d.code, d.name, d.level, d.parent_code from division d join up on d.code = up.parent_code)
    select code, name, level from up`);
  expect(rows).toEqual([
    { code: '431103001001', name: '清桥社区居委会', level: 'village' },
    { code: '431103001', name: '梅湾街道', level: 'township' },
    { code: '431103', name: '冷水滩区', level: 'county' },
    { code: '431100', name: '永州市', level: 'prefecture' },
    { code: '430000', name: '湖南省', level: 'province' },
  ]);
});

test('codes no longer in use are kept with their end date, and statistical zones are marked', async () => {
  const { rows } = await database.db.pool.query(
    `select code, name, valid_to::text, statistical_only from division where code in ('431121', '432900', '431171') order by code`,
  );
  expect(rows).toEqual([
    { code: '431121', name: '祁阳县', valid_to: '2021-05-17', statistical_only: false },
    { code: '431171', name: '永州经济技术开发区', valid_to: null, statistical_only: true },
    { code: '432900', name: '零陵地区', valid_to: '1995-11-21', statistical_only: false },
  ]);
});

describe('GraphQL', () => {
  let hub: TestHub;
  const statistics = () => hub.as('statistics', { purpose: 'statistical-analysis', caseNumber: 'TJ-2026-001' });
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(() => hub?.close());

  test('a division answers with its parent and children', async () => {
    const res = await statistics().query(`{ division(code: "431103") { name level parent { name } children { code name } } }`);
    expect(res.data.division).toMatchObject({ name: '冷水滩区', level: 'county', parent: { name: '永州市' } });
    expect(res.data.division.children).toHaveLength(18);
    expect(res.data.division.children[0]).toEqual({ code: '431103001', name: '梅湾街道' });
  });

  test('a malformed code is BAD_USER_INPUT naming the argument', async () => {
    const res = await statistics().query(`{ division(code: "4311") { name } }`);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'code' });
  });
});
