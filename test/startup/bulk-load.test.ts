import { afterAll, beforeAll, expect, test } from 'vitest';
import { seedSpatial } from '../../src/simulate/index.js';
import { withoutSecondaryIndexes } from '../../src/simulate/indexes.js';
import { createTestDatabase } from '../support/hub.js';

// The demo's places load by COPY with their secondary indexes and exclusion constraints dropped
// (src/simulate/indexes.ts): what the tables hold afterwards must be exactly what a migration made.
let t: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

const TABLES = ['division_geometry', 'grid', 'address', 'city_component', 'indicator_observation'];
const shape = async () =>
  (
    await t.db.pool.query<{ kind: string; name: string; definition: string }>(
      `select 'index' as kind, indexname as name, indexdef as definition from pg_indexes where tablename = any($1)
       union all
       select 'constraint', conname, pg_get_constraintdef(oid) from pg_constraint where conrelid::regclass::text = any($1)
       order by 1, 2`,
      [TABLES],
    )
  ).rows;

test('after the places are seeded, every index and constraint is there as the migrations made it, and the exclusion constraints hold', async () => {
  const before = await shape();
  expect(before.filter((r) => r.kind === 'constraint' && r.definition.startsWith('EXCLUDE')).length).toBe(4);
  const seeded = await seedSpatial(t.db.pool, { scale: 0.05 });
  expect(seeded!.addresses).toBeGreaterThan(1000);
  expect(seeded!.components).toBeGreaterThan(100);
  expect(await shape()).toEqual(before);
  // A second current version of a grid is refused by the re-added constraint, as before the load.
  await expect(
    t.db.pool.query(`insert into grid (code, name, division_code, boundary, centroid, source_system, source_key, resource_code, resource_version, fetched_at, valid_from)
      select code, name, division_code, boundary, centroid, source_system, source_key, resource_code, resource_version, fetched_at, valid_from from grid where valid_to is null limit 1`),
  ).rejects.toThrow(/exclusion|unique|duplicate/);
});

test('a load that breaks an exclusion constraint fails when the constraint is re-added, and leaves nothing', async () => {
  const client = await t.db.pool.connect();
  try {
    await client.query('begin');
    await client.query('truncate grid, address, city_component cascade');
    const row = `('431102001001001', 'g', '431102001001', '((0,0),(1,0),(1,1),(0,1))', '(0.5,0.5)', 's', 'k', 'r', '1', now(), '2024-01-01', null)`;
    const load = withoutSecondaryIndexes(client, ['grid'], () =>
      client.query(`insert into grid (code, name, division_code, boundary, centroid, source_system, source_key, resource_code, resource_version, fetched_at, valid_from, valid_to)
        values ${row.replace("'2024-01-01', null", "'2024-01-01', '2025-01-01'")}, ${row.replace("'2024-01-01'", "'2024-06-01'")}`),
    );
    await expect(load).rejects.toThrow(/exclusion constraint|conflicting key/);
  } finally {
    await client.query('rollback');
    client.release();
  }
});
