import { afterAll, beforeAll, expect, test } from 'vitest';
import { seedSpatial } from '../../src/simulate/index.js';
import { createTestDatabase, startTestHub, type Caller, type TestHub } from '../support/hub.js';

let hub: TestHub;
/** A department system asking for a registered purpose, as every base-library query must. */
let api: Caller;
beforeAll(async () => {
  hub = await startTestHub();
  api = hub.as('statistics', { purpose: 'statistical-analysis', caseNumber: 'TJ-2026-0001' });
  await seedSpatial(hub.owner.pool, { scale: 0.05 });
});
afterAll(() => hub?.close());

const SERIES = `query ($code: ID, $division: ID, $from: String, $to: String, $asOf: String, $first: Int, $after: String) {
  indicators(code: $code, divisionCode: $division, from: $from, to: $to, asOf: $asOf, first: $first, after: $after) {
    totalCount edges { node { divisionCode indicatorCode period value unit validFrom indicator { name frequency } division { name }
      provenance { sourceSystem resourceCode } } }
    pageInfo { hasNextPage endCursor } } }`;

test('the bulletin indicators are registered with their units and frequency', async () => {
  const res = await api.query(`{ economicIndicators { code name unit frequency } }`);
  expect(res.data.economicIndicators).toContainEqual({ code: 'gdp', name: '地区生产总值', unit: '亿元', frequency: 'yearly' });
  expect(res.data.economicIndicators).toHaveLength(14);
});

test("a county's GDP runs from 2015 to 2025, growing, in 亿元", async () => {
  const res = await api.query(SERIES, { code: 'gdp', division: '431103', first: 50 });
  const nodes = res.data.indicators.edges.map((e: { node: unknown }) => e.node);
  expect(nodes.map((n: { period: string }) => n.period)).toEqual(Array.from({ length: 11 }, (_, i) => String(2015 + i)));
  expect(nodes[0]).toMatchObject({ unit: '亿元', indicator: { name: '地区生产总值', frequency: 'yearly' }, division: { name: '冷水滩区' } });
  expect(nodes[0].provenance).toEqual({ sourceSystem: 'statistics/bulletin', resourceCode: 'economy.indicator' });
  expect(nodes[10].value).toBeGreaterThan(nodes[0].value * 1.4);
  expect(nodes[0].value).toBeGreaterThan(50);
  expect(nodes[0].value).toBeLessThan(1000);
});

test("the city's GDP is the sum of its counties', preliminary and revised alike", async () => {
  for (const asOf of ['2024-03-01', '2024-09-01']) {
    const city = (await api.query(SERIES, { code: 'gdp', division: '431100', from: '2023', to: '2023', asOf })).data.indicators;
    const all = (await api.query(SERIES, { code: 'gdp', from: '2023', to: '2023', asOf, first: 50 })).data.indicators;
    const counties = all.edges.map((e: { node: { divisionCode: string; value: number } }) => e.node).filter((n: { divisionCode: string }) => n.divisionCode !== '431100');
    expect(counties).toHaveLength(11);
    const sum = counties.reduce((total: number, n: { value: number }) => total + n.value, 0);
    expect(city.edges[0].node.value).toBeCloseTo(sum, 6);
  }
});

test('from and to bound the periods, inclusive', async () => {
  const res = await api.query(SERIES, { code: 'cpi', division: '431124', from: '2019', to: '2021-Q4' });
  expect(res.data.indicators.edges.map((e: { node: { period: string } }) => e.node.period)).toEqual(['2019', '2020', '2021']);
});

test('asOf before a revision answers the preliminary figure', async () => {
  const now = (await api.query(SERIES, { code: 'gdp', division: '431102', from: '2020', to: '2020' })).data.indicators.edges[0].node;
  const preliminary = (await api.query(SERIES, { code: 'gdp', division: '431102', from: '2020', to: '2020', asOf: '2021-03-01' }))
    .data.indicators.edges[0].node;
  const unpublished = await api.query(SERIES, { code: 'gdp', division: '431102', from: '2020', to: '2020', asOf: '2020-12-31' });
  expect(now.validFrom).toBe('2021-06-30T01:00:00.000Z');
  expect(preliminary.validFrom).toBe('2021-01-20T01:00:00.000Z');
  expect(preliminary.value).not.toBe(now.value);
  expect(Math.abs(preliminary.value / now.value - 1)).toBeLessThan(0.02);
  expect(unpublished.data.indicators.totalCount).toBe(0);
});

test("a division's indicators page through every indicator and year", async () => {
  const QUERY = `query ($after: String) { division(code: "431181") { indicators(first: 100, after: $after) {
    totalCount edges { node { indicatorCode period } } pageInfo { hasNextPage endCursor } } } }`;
  const seen: string[] = [];
  let after: string | null = null;
  let total = 0;
  do {
    const page: any = (await api.query(QUERY, { after })).data.division.indicators;
    total = page.totalCount;
    seen.push(...page.edges.map((e: { node: { indicatorCode: string; period: string } }) => `${e.node.indicatorCode}/${e.node.period}`));
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  expect(total).toBe(14 * 11);
  expect(new Set(seen).size).toBe(total);
});

test('a malformed period or indicator code is BAD_USER_INPUT naming the argument', async () => {
  const period = await api.query(SERIES, { code: 'gdp', from: '2023-13' });
  expect(period.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'from' });
  const code = await api.query(SERIES, { code: 'GDP!' });
  expect(code.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'code' });
  const division = await api.query(SERIES, { division: '43110' });
  expect(division.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'divisionCode' });
});

test('an unknown indicator or division, or a range that ends before it starts, is BAD_USER_INPUT', async () => {
  const indicator = await api.query(SERIES, { code: 'happiness' });
  expect(indicator.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'code', reason: 'unknown indicator happiness' });
  // 431150 was never a division code (DOMAIN.md §1).
  const division = await api.query(SERIES, { division: '431150' });
  expect(division.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'divisionCode', reason: 'unknown division 431150' });
  const range = await api.query(SERIES, { from: '2024', to: '2023-Q4' });
  expect(range.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'to' });
});

test('the same seed generates the same places and figures', async () => {
  const other = await createTestDatabase();
  try {
    await seedSpatial(other.db.pool, { scale: 0.05 });
    const fingerprint = async (pool: typeof hub.db.pool) =>
      (await pool.query(`select
        (select md5(string_agg(concat_ws('|', code, keeper_name, keeper_phone, boundary::text, valid_from), ',' order by code, valid_from)) from grid) as grids,
        (select md5(string_agg(concat_ws('|', code, full_text, location::text), ',' order by code)) from address) as addresses,
        (select md5(string_agg(concat_ws('|', indicator_code, division_code, period, value, valid_from), ','
           order by indicator_code, division_code, period, valid_from)) from indicator_observation) as observations,
        (select md5(string_agg(concat_ws('|', code, status, location::text, valid_from), ',' order by code, valid_from)) from city_component) as components`)).rows[0];
    expect(await fingerprint(other.db.pool)).toEqual(await fingerprint(hub.db.pool));
  } finally {
    await other.drop();
  }
});
