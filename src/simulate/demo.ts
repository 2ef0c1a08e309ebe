import type { Database } from '../db/index.js';
import type { Logger } from '../log.js';
import { seedCity } from './city.js';
import type { FixtureTrail } from '../catalog/index.js';
import { grantDemoAccess } from './grants.js';
import { seedSpatial } from './spatial.js';

/** Persons in the demo city: small enough to load in seconds on first start. */
export const DEMO_PERSONS = 20_000;

/**
 * Loads the demo data set into an empty hub, once: a database that already holds demo data is
 * left as it is, so restarts keep what users changed.
 */
/** `trail`: where the demo's grants are entered (a start or `seed` passes the hub's audit trail). */
export async function loadDemo(db: Database, logger: Logger, trail: FixtureTrail = null): Promise<boolean> {
  const { rows } = await db.pool.query<{ loaded: boolean }>(
    `select exists(select 1 from hub_state where key = 'demo_loaded_at') as loaded`,
  );
  if (rows[0].loaded) return false;
  const started = Date.now();
  // First start spends most of its time here: each step says so in the log as it goes.
  logger.info({ persons: DEMO_PERSONS }, 'loading the demo data (first start only)');
  // Places and persons fill different tables, each in a transaction of its own on its own
  // connection: loaded side by side, the generating (node) and the loading and index building
  // (PostgreSQL) overlap on the two cores. Each step's `ms` is its own time.
  let placesStep = Date.now();
  const places = seedSpatial(db.pool, {
    scale: 0.2, // geometry, grids, ~22,000 addresses, indicators, components
    onProgress: (what, count) => {
      logger.info({ step: what, count, ms: Date.now() - placesStep }, 'demo data: places');
      placesStep = Date.now();
    },
  });
  let reported = 0;
  const personsStarted = Date.now();
  const persons = seedCity(db.pool, {
    persons: DEMO_PERSONS,
    progress: (written, total) => {
      if (written < total && written - reported < total / 4) return;
      reported = written;
      logger.info({ written, total, ms: Date.now() - personsStarted }, 'demo data: persons');
    },
  });
  // Both settled before anything is reported: a failure of one never leaves the other running.
  const [placesDone, personsDone] = await Promise.allSettled([places, persons]);
  if (placesDone.status === 'rejected') throw placesDone.reason;
  if (personsDone.status === 'rejected') throw personsDone.reason;
  const counts = personsDone.value;
  const step = Date.now();
  const grants = await grantDemoAccess(db.pool, trail);
  logger.info({ grants, ms: Date.now() - step }, 'demo data: grants');
  await markDemoLoaded(db);
  logger.info({ ms: Date.now() - started, ...counts, grants }, 'demo data loaded');
  return true;
}

/** Records that the hub holds its demo data, so that start-up leaves it alone. */
export async function markDemoLoaded(db: Database): Promise<void> {
  await db.pool.query(
    `insert into hub_state (key, value) values ('demo_loaded_at', to_jsonb(now()))
     on conflict (key) do update set value = excluded.value, updated_at = now()`,
  );
}
