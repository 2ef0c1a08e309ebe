import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { createIdentity } from './access/index.js';
import { createAudit } from './audit/index.js';
import { CatalogState, openCommandTrail, syncRegisters, syncResources, type ChangeActor, type ChangeTrail } from './catalog/index.js';
import type { Config } from './config.js';
import { connectDatabase, locateDatabase, migrate, type Database, type EmbeddedServer } from './db/index.js';
import type { Logger } from './log.js';
import { loadReferenceData } from './registries/index.js';
import { createHubYoga, listen, type HubOptions, type HubServices, type HubYoga } from './server/index.js';
import { loadDemo } from './simulate/index.js';

export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

export interface OpenedDatabase {
  db: Database;
  embedded: EmbeddedServer | null;
  close(): Promise<void>;
}

/** Finds (or starts) PostgreSQL, connects, and applies pending migrations. */
export async function openDatabase(config: Config, logger: Logger): Promise<OpenedDatabase> {
  const { url, embedded } = await locateDatabase(config, logger);
  try {
    const db = await connectDatabase(url, { poolMax: config.dbPoolMax, logger });
    const applied = await migrate(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    return {
      db,
      embedded,
      async close() {
        await db.close();
        await embedded?.stop();
      },
    };
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
}

export interface RunningHub {
  url: string;
  services: HubServices;
  yoga: HubYoga;
  close(): Promise<void>;
}

/** Serves the exchange over HTTP on a migrated database. Closing it leaves the database open. */
export async function serveHub(config: Config, logger: Logger, db: Database, options: HubOptions = {}): Promise<RunningHub> {
  const catalog = new CatalogState(db.pool, logger);
  await catalog.start(db.url);
  const services: HubServices = {
    config,
    logger,
    db,
    version: VERSION,
    identity: await createIdentity(config, db, logger),
    audit: await createAudit(config.dataDir, db, { checkpointEvery: config.auditCheckpointEvery }),
    catalog,
  };
  const yoga = createHubYoga(services, options);
  const server = await listen(services, yoga, config.port, config.host);
  return {
    url: server.url,
    services,
    yoga,
    async close() {
      await server.close();
      await Promise.all([services.audit.log.close(), services.identity.close(), catalog.stop()]);
    },
  };
}

/**
 * What every hub database holds whatever its data: registered departments and purposes, the
 * catalogue's resources from `catalog/`, and the reference data (divisions, indicator definitions).
 * Idempotent; run at every start. Every change is entered in `trail`. Resources not yet registered
 * are registered; a declaration file that disagrees with a stored resource is only reported
 * (`differs`): a start never undoes a change made through the API (`huitong catalog sync` applies it).
 */
export async function prepareRegisters(
  pool: pg.Pool,
  trail: { log: ChangeTrail; actor: ChangeActor },
  options: { operator?: string; logger?: Logger } = {},
): Promise<{ departments: number; purposes: number; differs: string[] }> {
  const registered = await syncRegisters(pool, trail);
  const outcomes = await syncResources(pool, trail, { applyChanges: false, operator: options.operator, action: 'catalog sync at start' });
  const differs = outcomes.flatMap((o) => (o.change === 'differs' ? [o.code] : []));
  if (differs.length) {
    options.logger?.warn({ differs }, 'declaration files differ from the stored catalogue; not applied (run huitong catalog sync to apply them)');
  }
  await loadReferenceData(pool);
  return { departments: registered.departments, purposes: registered.purposes, differs };
}

/** Runs `work` with the hub's audit trail open for a command's changes (the operator as actor). */
export async function withCommandTrail<T>(config: Config, db: Database, command: string, work: (trail: { log: ChangeTrail; actor: ChangeActor }) => Promise<T>): Promise<T> {
  const trail = await openCommandTrail(config, db, command);
  try {
    return await work(trail);
  } finally {
    await trail.close();
  }
}

/** Everything `npm start` does: database, catalogue registers, demo data on first start, HTTP. */
export async function startHub(config: Config, logger: Logger): Promise<RunningHub> {
  const started = Date.now();
  const opened = await openDatabase(config, logger);
  try {
    await withCommandTrail(config, opened.db, 'start', async (trail) => {
      await prepareRegisters(opened.db.pool, trail, { operator: config.operatorDepartment, logger });
      if (config.loadDemo) await loadDemo(opened.db, logger, trail);
    });
    const hub = await serveHub(config, logger, opened.db);
    logger.info({ url: `${hub.url}/graphql`, ms: Date.now() - started, embedded: !!opened.embedded }, 'Huitong is serving');
    return {
      ...hub,
      async close() {
        await hub.close();
        await opened.close();
      },
    };
  } catch (err) {
    await opened.close();
    throw err;
  }
}
