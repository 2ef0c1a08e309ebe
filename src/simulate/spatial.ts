import type pg from 'pg';
import { inTransaction } from '../db/index.js';
import { seedComponents } from './components.js';
import { seedGeography, type SeedOptions } from './geography.js';
import { seedIndicators } from './indicators.js';
import { withoutSecondaryIndexes } from './indexes.js';

/** Tables the places seeding fills. */
const SPATIAL_TABLES = ['division_geometry', 'grid', 'address', 'city_component', 'indicator_observation'];

export interface SpatialSeeded {
  divisionGeometries: number;
  grids: number;
  addresses: number;
  observations: number;
  components: number;
}

/**
 * The synthetic city's places: geometry for every Yongzhou division, grids, standard addresses,
 * county indicators 2015–2025 and city components, in one transaction. Does nothing (returns
 * null) when grids already exist, so a second `seed` leaves the data as it is.
 */
export async function seedSpatial(pool: pg.Pool, options: SeedOptions = {}): Promise<SpatialSeeded | null> {
  const { rows } = await pool.query<{ seeded: boolean }>('select exists(select 1 from grid) as seeded');
  if (rows[0].seeded) return null;
  return inTransaction(pool, async (client) => {
    // The tables are empty (checked above): their secondary indexes are built once, after loading.
    const { geography, observations, components } = await withoutSecondaryIndexes(client, SPATIAL_TABLES, async () => {
      const geography = await seedGeography(client, options);
      const observations = await seedIndicators(client, options.seed);
      options.onProgress?.('indicator observations', observations);
      const components = await seedComponents(client, options.seed);
      options.onProgress?.('city components', components);
      return { geography, observations, components };
    });
    options.onProgress?.('indexes built', 0);
    return { ...geography, observations, components };
  });
}
