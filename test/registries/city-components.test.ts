import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { applyVersion, type IncomingVersion } from '../../src/db/index.js';
import { COMPONENT_TABLE } from '../../src/registries/city-components/index.js';
import { seedSpatial } from '../../src/simulate/index.js';
import { watchStatements } from '../support/statements.js';
import { startTestHub, type Caller, type TestHub } from '../support/hub.js';

let hub: TestHub;
/** A department system asking for a registered purpose, as every base-library query must. */
let api: Caller;
beforeAll(async () => {
  hub = await startTestHub();
  api = hub.as('urban-management', { purpose: 'urban-management', caseNumber: 'CG-2026-0001' });
  await seedSpatial(hub.owner.pool, { scale: 0.2 });
});
afterAll(() => hub?.close());

const one = async <T>(sql: string, params: unknown[] = []) => (await hub.db.pool.query(sql, params)).rows[0] as T;

/** Great-circle distance in metres (haversine, mean earth radius as earthdistance uses). */
function metres(a: { lng: number; lat: number }, b: { lng: number; lat: number }): number {
  const rad = Math.PI / 180;
  const h = Math.sin(((b.lat - a.lat) * rad) / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(((b.lng - a.lng) * rad) / 2) ** 2;
  return 2 * 6378168 * Math.asin(Math.sqrt(h));
}

const NEAR = `query ($lng: Float!, $lat: Float!, $r: Float!, $first: Int, $after: String) {
  cityComponents(filter: { near: { lng: $lng, lat: $lat, radiusMeters: $r } }, first: $first, after: $after) {
    totalCount edges { distanceMeters node { code lng lat } } pageInfo { hasNextPage endCursor } } }`;

describe('near search', () => {
  test('answers only components within the radius, nearest first, with their true distance', async () => {
    const centre = await one<{ lng: number; lat: number }>(
      `select location[0] lng, location[1] lat from city_component where valid_to is null and division_code like '431103001%' order by code limit 1`,
    );
    const res = await api.query(NEAR, { lng: centre.lng + 0.0005, lat: centre.lat, r: 300, first: 500 });
    const edges = res.data.cityComponents.edges as { distanceMeters: number; node: { code: string; lng: number; lat: number } }[];
    expect(edges.length).toBeGreaterThan(3);
    const distances = edges.map((e) => e.distanceMeters);
    expect([...distances].sort((a, b) => a - b)).toEqual(distances);
    for (const e of edges) {
      expect(e.distanceMeters).toBeLessThanOrEqual(300);
      expect(Math.abs(e.distanceMeters - metres({ lng: centre.lng + 0.0005, lat: centre.lat }, e.node))).toBeLessThan(1);
    }
    // Nothing within the radius was left out.
    const within = await one<{ n: number }>(
      `select count(*)::int n from city_component where valid_to is null
       and earth_distance(ll_to_earth($2, $1), ll_to_earth(location[1], location[0])) <= 300`,
      [centre.lng + 0.0005, centre.lat],
    );
    expect(res.data.cityComponents.totalCount).toBe(within.n);
    expect(edges).toHaveLength(within.n);
  });

  test('pages of a near search continue where the last one ended', async () => {
    const centre = await one<{ lng: number; lat: number }>(
      `select location[0] lng, location[1] lat from city_component where valid_to is null order by code limit 1`,
    );
    const vars = { lng: centre.lng, lat: centre.lat, r: 500 };
    const all = (await api.query(NEAR, { ...vars, first: 500 })).data.cityComponents.edges.map((e: { node: { code: string } }) => e.node.code);
    const page1 = (await api.query(NEAR, { ...vars, first: 5 })).data.cityComponents;
    const page2 = (await api.query(NEAR, { ...vars, first: 5, after: page1.pageInfo.endCursor })).data.cityComponents;
    expect([...page1.edges, ...page2.edges].map((e: { node: { code: string } }) => e.node.code)).toEqual(all.slice(0, 10));
  });

  test('the search uses the earth-distance GiST index', async () => {
    await hub.db.pool.query('analyze city_component');
    const { rows } = await hub.db.pool.query(`explain select code from city_component where valid_to is null
      and earth_box(ll_to_earth(26.4, 111.6), 300) @> ll_to_earth(location[1], location[0])`);
    expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('city_component_earth_idx');
  });

  test('a radius beyond 50 km or a latitude beyond 90 is BAD_USER_INPUT naming the argument', async () => {
    const far = await api.query(NEAR, { lng: 111.6, lat: 26.4, r: 60_000 });
    expect(far.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.near.radiusMeters' });
    const lat = await api.query(NEAR, { lng: 111.6, lat: 95, r: 100 });
    expect(lat.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.near.lat' });
  });
});

describe('filters and look-ups', () => {
  test('a category, status and division filter answers only matching components', async () => {
    const res = await api.query(`{ cityComponents(filter: { category: "01", status: damaged, divisionCode: "431103" }, first: 100) {
      totalCount edges { node { code category categoryName status divisionCode } } } }`);
    const { totalCount, edges } = res.data.cityComponents;
    expect(totalCount).toBeGreaterThan(0);
    for (const { node } of edges) {
      expect(node).toMatchObject({ category: '01', categoryName: '公用设施', status: 'damaged' });
      expect(node.divisionCode.startsWith('431103')).toBe(true);
      expect(node.code.startsWith('43110301')).toBe(true);
    }
  });

  test('the whole list pages by identifier, each page after the last', async () => {
    const QUERY = `query ($after: String) { cityComponents(filter: { status: missing }, first: 30, after: $after) {
      totalCount edges { node { code status } } pageInfo { hasNextPage endCursor } } }`;
    const first = (await api.query(QUERY)).data.cityComponents;
    const second = (await api.query(QUERY, { after: first.pageInfo.endCursor })).data.cityComponents;
    const codes = [...first.edges, ...second.edges].map((e: { node: { code: string } }) => e.node.code);
    expect(first.totalCount).toBeGreaterThan(60);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(codes).toHaveLength(60);
    expect([...codes].sort()).toEqual(codes);
    expect(new Set(codes).size).toBe(60);
  });

  test('a division lists the components within it', async () => {
    const res = await api.query(`{ division(code: "431103001") { components(first: 3) { totalCount edges { node { divisionCode } } } } }`);
    expect(res.data.division.components.totalCount).toBeGreaterThan(0);
    for (const { node } of res.data.division.components.edges) expect(node.divisionCode.startsWith('431103001')).toBe(true);
  });

  test('a component found damaged answers normal as of a day before that inspection', async () => {
    const changed = await one<{ code: string }>(`select code from city_component group by code having count(*) > 1 order by code limit 1`);
    const QUERY = `query ($code: ID!, $asOf: String) { cityComponent(code: $code, asOf: $asOf) { status lastInspectedOn validTo provenance { sourceSystem } } }`;
    const now = (await api.query(QUERY, { code: changed.code })).data.cityComponent;
    const then = (await api.query(QUERY, { code: changed.code, asOf: '2025-06-30T12:00:00+08:00' })).data.cityComponent;
    expect(now).toMatchObject({ status: 'damaged', lastInspectedOn: '2025-07-01', validTo: null });
    expect(then).toMatchObject({ status: 'normal', lastInspectedOn: '2023-11-15' });
    expect(then.provenance.sourceSystem).toBe('urban-management/component-census');
  });

  test('a delivered change makes a new version; the same delivery again, or an older one, changes nothing', async () => {
    const current = await one<Record<string, unknown>>(
      `select code, category, subclass, name, division_code, grid_code, address_code, location::text as location, owner_department,
         maintenance_unit, status, last_inspected_on from city_component where valid_to is null and status = 'normal' order by code limit 1`,
    );
    const source = { system: 'urban-management/inspection-app', key: 'INSP-2026-000731', resourceCode: 'city-component.component',
      resourceVersion: '1.0', fetchedAt: new Date('2026-03-02T08:00:00Z') };
    const removed: IncomingVersion = { values: { ...current, status: 'removed', last_inspected_on: '2026-03-01' }, changedAt: new Date('2026-03-01T10:00:00+08:00'), source };
    const apply = async (incoming: IncomingVersion) => {
      const client = await hub.db.pool.connect();
      try {
        await client.query('begin');
        const applied = await applyVersion(client, COMPONENT_TABLE, incoming);
        await client.query('commit');
        return applied;
      } finally {
        client.release();
      }
    };
    expect(await apply(removed)).toBe('changed');
    expect(await apply(removed)).toBe('unchanged');
    expect(await apply({ ...removed, values: { ...current, status: 'damaged' }, changedAt: new Date('2025-12-01T00:00:00Z') })).toBe('stale');

    const QUERY = `query ($code: ID!, $asOf: String) { cityComponent(code: $code, asOf: $asOf) {
      status lastInspectedOn validFrom provenance { sourceSystem sourceKey fetchedAt } } }`;
    const now = (await api.query(QUERY, { code: current.code })).data.cityComponent;
    const before = (await api.query(QUERY, { code: current.code, asOf: '2026-02-28' })).data.cityComponent;
    expect(now).toMatchObject({ status: 'removed', lastInspectedOn: '2026-03-01', validFrom: '2026-03-01T02:00:00.000Z',
      provenance: { sourceSystem: 'urban-management/inspection-app', sourceKey: 'INSP-2026-000731', fetchedAt: '2026-03-02T08:00:00.000Z' } });
    expect(before.status).toBe('normal');
    const removedList = await api.query(`{ cityComponents(filter: { status: removed, divisionCode: "${current.division_code}" }, first: 500) {
      edges { node { code } } } }`);
    expect(removedList.errors).toBeUndefined();
    expect(removedList.data.cityComponents.edges.map((e: { node: { code: string } }) => e.node.code)).toContain(current.code);
  });

  test('a malformed identifier or unknown category is BAD_USER_INPUT naming the argument and reason', async () => {
    const code = await api.query(`{ cityComponent(code: "4311000101000123") { code } }`);
    expect(code.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'code' });
    expect(String(code.errors?.[0].extensions?.reason)).toContain('county');
    const unknown = await api.query(`{ cityComponent(code: "4311500101000123") { code } }`);
    expect(unknown.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'code', reason: 'unknown division 431150' });
    const category = await api.query(`{ cityComponents(filter: { category: "09" }) { totalCount } }`);
    expect(category.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.category' });
  });
});

test('50 components with their divisions (and parents) and grids take four SQL statements', async () => {
  const statements = watchStatements(hub.db.pool);
  try {
    const res = await api.query(`{ cityComponents(first: 50) { edges { node { code divisionCode
      division { name parent { name } } grid { code keeperName division { code } } } } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.cityComponents.edges).toHaveLength(50);
    for (const { node } of res.data.cityComponents.edges) {
      expect(node.division.parent.name).toBeTruthy();
      expect(node.grid.division.code).toBe(node.divisionCode);
    }
    // One page, one batch of divisions, one batch of grids, one batch of parent townships.
    expect(statements.sql).toHaveLength(4);
  } finally {
    statements.restore();
  }
});

test("the counties' indicators, components, grids and villages come in one statement per field, not per county", async () => {
  const statements = watchStatements(hub.db.pool);
  try {
    const res = await api.query(`{ divisions(parentCode: "431100") { code validTo
      indicators(code: "gdp", from: "2024", first: 5) { totalCount edges { node { divisionCode period } } }
      components(filter: { category: "04" }, first: 2) { totalCount edges { node { code divisionCode category } } }
      grids(first: 2) { totalCount edges { node { divisionCode } } }
      descendants(level: village, first: 1) { totalCount } } }`);
    expect(res.errors).toBeUndefined();
    // Children, the indicator definitions (to check the code), then per field one page and one count query.
    expect(statements.sql).toHaveLength(10);
    // The retired codes (祁阳县 431121, 金洞管理区 431172) are children too, with their end date.
    const counties = (res.data.divisions as any[]).filter((d) => d.validTo === null);
    expect(counties).toHaveLength(13);
    const lengshuitan = counties.find((c) => c.code === '431103');
    expect(lengshuitan.indicators.edges.map((e: any) => e.node)).toEqual([
      { divisionCode: '431103', period: '2024' },
      { divisionCode: '431103', period: '2025' },
    ]);
    expect(lengshuitan.descendants.totalCount).toBe(204);
    for (const county of counties) {
      for (const { node } of county.components.edges) {
        expect(node.divisionCode.startsWith(county.code)).toBe(true);
        expect(node.category).toBe('04');
      }
      for (const { node } of county.grids.edges) expect(node.divisionCode.startsWith(county.code)).toBe(true);
      expect(county.grids.totalCount).toBeGreaterThan(0);
    }
  } finally {
    statements.restore();
  }
});
