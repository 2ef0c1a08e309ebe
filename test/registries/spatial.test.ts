import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { seedSpatial } from '../../src/simulate/index.js';
import { watchStatements } from '../support/statements.js';
import { startTestHub, type Caller, type TestHub } from '../support/hub.js';

let hub: TestHub;
/** A department system asking for a registered purpose, as every base-library query must. */
let api: Caller;
beforeAll(async () => {
  hub = await startTestHub();
  api = hub.as('natural-resources', { purpose: 'urban-management', caseNumber: 'ZR-2026-0001' });
  await seedSpatial(hub.owner.pool, { scale: 0.2 });
});
afterAll(() => hub?.close());

const one = async <T>(sql: string, params: unknown[] = []) => (await hub.db.pool.query(sql, params)).rows[0] as T;

describe('hierarchy', () => {
  test('a village lists its ancestors from the province down', async () => {
    const res = await api.query(`{ division(code: "431103001001") { ancestors { code level } } }`);
    expect(res.data.division.ancestors).toEqual([
      { code: '430000', level: 'province' },
      { code: '431100', level: 'prefecture' },
      { code: '431103', level: 'county' },
      { code: '431103001', level: 'township' },
    ]);
  });

  test('the villages of a county come a page at a time, each page after the last', async () => {
    const QUERY = `query ($after: String) { division(code: "431103") {
      descendants(level: village, first: 150, after: $after) { totalCount edges { node { code level } } pageInfo { hasNextPage endCursor } } } }`;
    const first = (await api.query(QUERY)).data.division.descendants;
    expect(first.totalCount).toBe(204);
    expect(first.edges).toHaveLength(150);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await api.query(QUERY, { after: first.pageInfo.endCursor })).data.division.descendants;
    expect(second.edges).toHaveLength(54);
    expect(second.pageInfo.hasNextPage).toBe(false);
    const codes = [...first.edges, ...second.edges].map((e: { node: { code: string } }) => e.node.code);
    expect(new Set(codes).size).toBe(204);
    expect(codes.every((c: string) => c.startsWith('431103') && c.length === 12)).toBe(true);
    expect([...codes].sort()).toEqual(codes);
  });

  test('the counties of Yongzhou are its 13 county-level units, not the retired codes', async () => {
    const res = await api.query(`{ division(code: "431100") { descendants(level: county, first: 50) { totalCount } } }`);
    expect(res.data.division.descendants.totalCount).toBe(13);
  });

  test('a cursor the list did not give out is BAD_USER_INPUT', async () => {
    const res = await api.query(`{ division(code: "431103") { descendants(level: village, after: "nonsense") { totalCount } } }`);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
  });
});

describe('geometry', () => {
  test('every current Yongzhou division has a boundary, and each level exactly tiles its parent', async () => {
    const missing = await one<{ n: number }>(
      `select count(*)::int n from division d left join division_geometry g using (code)
       where (d.code = '431100' or d.code like '4311%') and d.valid_to is null and d.level <> 'province' and g.code is null`,
    );
    expect(missing.n).toBe(0);
    // Children's areas add up to the parent's, and each child lies within its parent.
    const mismatched = await one<{ n: number }>(`
      select count(*)::int n from (
        select p.code, max(area(box(pg.boundary))) as parent_area, sum(area(box(cg.boundary))) as children_area,
          bool_and(box(pg.boundary) @> box(cg.boundary)) as inside
        from division p join division_geometry pg on pg.code = p.code
        join division c on c.parent_code = p.code and c.valid_to is null join division_geometry cg on cg.code = c.code
        group by p.code) t
      where abs(parent_area - children_area) > 1e-9 * parent_area or not inside`);
    expect(mismatched.n).toBe(0);
  });

  test('a division answers with its centroid and closed boundary ring', async () => {
    const res = await api.query(`{ division(code: "431100") { lng lat boundary } }`);
    expect(res.data.division.lng).toBeCloseTo(111.65, 5);
    expect(res.data.division.lat).toBeCloseTo(25.75, 5);
    expect(res.data.division.boundary).toHaveLength(5);
    expect(res.data.division.boundary[0]).toEqual(res.data.division.boundary[4]);
  });
});

describe('locate', () => {
  const LOCATE = `query ($lng: Float!, $lat: Float!) { locate(lng: $lng, lat: $lat) {
    division { code level } divisions { code } grid { code divisionCode } } }`;

  test('a point inside a village answers that village, the divisions above it and its grid', async () => {
    const grid = await one<{ code: string; lng: number; lat: number }>(
      `select code, centroid[0] lng, centroid[1] lat from grid where division_code = '431103001001' and valid_to is null order by code limit 1`,
    );
    const statements = watchStatements(hub.db.pool);
    const res = await api.query(LOCATE, { lng: grid.lng, lat: grid.lat });
    // One statement finds the divisions and the grid's code, one loads the grid.
    expect(statements.sql).toHaveLength(2);
    statements.restore();
    expect(res.data.locate).toEqual({
      division: { code: '431103001001', level: 'village' },
      divisions: [{ code: '431100' }, { code: '431103' }, { code: '431103001' }, { code: '431103001001' }],
      grid: { code: grid.code, divisionCode: '431103001001' },
    });
  });

  test('a standard address lies in its own grid', async () => {
    const address = await one<{ gridCode: string; divisionCode: string; lng: number; lat: number }>(
      `select grid_code "gridCode", division_code "divisionCode", location[0] lng, location[1] lat from address
       where valid_to is null and division_code like '431129%' order by code limit 1`,
    );
    const res = await api.query(LOCATE, { lng: address.lng, lat: address.lat });
    expect(res.data.locate.division.code).toBe(address.divisionCode);
    expect(res.data.locate.grid.code).toBe(address.gridCode);
  });

  test('a point outside Yongzhou (Changsha) answers null, not an error', async () => {
    const res = await api.query(LOCATE, { lng: 112.94, lat: 28.23 });
    expect(res.errors).toBeUndefined();
    expect(res.data.locate).toBeNull();
  });

  test('coordinates out of range are BAD_USER_INPUT naming the argument', async () => {
    const lat = await api.query(LOCATE, { lng: 111.6, lat: 91 });
    expect(lat.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'lat' });
    const lng = await api.query(LOCATE, { lng: -181, lat: 26 });
    expect(lng.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'lng' });
  });

  test('the look-up uses the GiST indexes', async () => {
    await hub.db.pool.query('analyze division_geometry; analyze grid');
    const client = await hub.db.pool.connect();
    try {
      await client.query('set enable_seqscan = off');
      const plan = (sql: string) => client.query(`explain ${sql}`).then((r) => r.rows.map((x) => x['QUERY PLAN']).join('\n'));
      const at = `polygon(box(point(111.6, 26.4), point(111.6, 26.4)))`;
      expect(await plan(`select code from division_geometry where boundary @> ${at}`)).toContain('division_geometry_boundary_idx');
      expect(await plan(`select code from grid where valid_to is null and boundary @> ${at}`)).toContain('grid_boundary_idx');
    } finally {
      client.release();
    }
  });
});

describe('grids and addresses', () => {
  test('every village-level unit in Yongzhou has a few grids', async () => {
    const row = await one<{ villages: number; without: number; min: number; max: number }>(`
      select count(*)::int villages, count(*) filter (where n = 0)::int as without, min(n)::int min, max(n)::int max from (
        select v.code, count(g.code) n from division v left join grid g on g.division_code = v.code and g.valid_to is null
        where v.level = 'village' and v.code like '4311%' group by v.code) t`);
    expect(row).toMatchObject({ villages: 3331, without: 0 });
    expect(row.min).toBeGreaterThanOrEqual(2);
    expect(row.max).toBeLessThanOrEqual(6);
  });

  test('a grid whose keeper changed answers the old keeper as of a day before the change', async () => {
    const changed = await one<{ code: string }>(`select code from grid group by code having count(*) > 1 order by code limit 1`);
    const QUERY = `query ($code: ID!, $asOf: String) { grid(code: $code, asOf: $asOf) {
      keeperName validFrom validTo division { level } provenance { sourceSystem resourceCode } } }`;
    const now = (await api.query(QUERY, { code: changed.code })).data.grid;
    const before = (await api.query(QUERY, { code: changed.code, asOf: '2025-03-01' })).data.grid;
    const earlier = (await api.query(QUERY, { code: changed.code, asOf: '2023-03-01' })).data.grid;
    expect(now.validTo).toBeNull();
    expect(before.validTo).toBe(now.validFrom);
    expect(before.keeperName).not.toBe(now.keeperName);
    expect(before.division.level).toBe('village');
    expect(before.provenance).toEqual({ sourceSystem: 'natural-resources/grid-registry', resourceCode: 'spatial.grid' });
    expect(earlier).toBeNull();
  });

  test('an address answers its text, grid and division; bad codes and dates are BAD_USER_INPUT', async () => {
    const code = (await one<{ code: string }>(`select code from address where division_code = '431103001001' order by code limit 1`)).code;
    const res = await api.query(`{ address(code: "${code}") { fullText houseNumber division { name } grid { code } } }`);
    expect(res.data.address.fullText).toMatch(/^湖南省永州市冷水滩区梅湾街道清桥社区居委会.+号$/);
    expect(res.data.address.division.name).toBe('清桥社区居委会');
    expect(res.data.address.grid.code.startsWith('431103001001')).toBe(true);
    const bad = await api.query(`{ address(code: "4311030010") { code } }`);
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'code' });
    const badDate = await api.query(`{ address(code: "${code}", asOf: "2023-02-30") { code } }`);
    expect(badDate.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'asOf' });
  });

  test("a village's grids and a grid's addresses are connections", async () => {
    const res = await api.query(`{ division(code: "431103001001") { grids(first: 10) { totalCount edges { node { code
      addresses(first: 2) { totalCount edges { node { gridCode } } } } } } } }`);
    const grids = res.data.division.grids;
    expect(grids.totalCount).toBeGreaterThanOrEqual(3);
    for (const { node } of grids.edges) {
      expect(node.addresses.totalCount).toBeGreaterThan(0);
      for (const a of node.addresses.edges) expect(a.node.gridCode).toBe(node.code);
    }
  });
});
