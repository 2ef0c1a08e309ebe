import type { Database } from '../db/index.js';
import type { Logger } from '../log.js';
import { seedSpatial } from './spatial.js';

/**
 * Loads the demo data set into an empty hub, once: a database that already holds demo data is
 * left as it is, so restarts keep what users changed.
 */
export async function loadDemo(db: Database, logger: Logger): Promise<boolean> {
  const { rows } = await db.pool.query<{ loaded: boolean }>(
    `select exists(select 1 from hub_state where key = 'demo_loaded_at') as loaded`,
  );
  if (rows[0].loaded) return false;
  const started = Date.now();
  // The synthetic city is generated here once the base libraries exist.
  await seedSpatial(db.pool, { scale: 0.2 }); // geometry, grids, ~22,000 addresses, indicators, components
  await db.pool.query(`insert into hub_state (key, value) values ('demo_loaded_at', to_jsonb(now()))`);
  logger.info({ ms: Date.now() - started }, 'demo data loaded');
  return true;
}
