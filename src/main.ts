import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { createIdentity } from './access/index.js';
import { createAudit } from './audit/index.js';
import { CatalogState, openCommandTrail, syncRegisters, syncResources, type ChangeActor, type ChangeTrail, type FixtureTrail } from './catalog/index.js';
import type { Config } from './config.js';
import { connectDatabase, grantRuntime, locateDatabase, migrate, userOf, type Database, type EmbeddedServer } from './db/index.js';
import type { Logger } from './log.js';
import { loadReferenceData } from './registries/index.js';
import { createHubYoga, listen, type HubOptions, type HubServices, type HubYoga } from './server/index.js';
import { loadDemo } from './simulate/index.js';
import { startVerification, stopVerification } from './verification/index.js';
import { prepareJobQueue } from './verification/batch.js';
import { seedVerificationDemo } from './verification/demo.js';

export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

export interface OpenedDatabase {
  db: Database;
  /** The owner role's URL (the same as `db.url` with one role), for bulk loads that rebuild indexes. */
  ownerUrl: string;
  embedded: EmbeddedServer | null;
  close(): Promise<void>;
}

/**
 * Finds (or starts) PostgreSQL, applies pending migrations as the owner role, grants the runtime
 * role its rights, and connects as the runtime role (or, `as: 'owner'`, for seeding, as the owner).
 */
export async function openDatabase(config: Config, logger: Logger, options: { as?: 'runtime' | 'owner' } = {}): Promise<OpenedDatabase> {
  const { url, ownerUrl, embedded } = await locateDatabase(config, logger);
  try {
    if (ownerUrl !== url) {
      const owner = await connectDatabase(ownerUrl, { poolMax: 1, logger });
      try {
        const applied = await migrate(owner);
        if (applied.length) logger.info({ applied }, 'migrations applied');
      } finally {
        await owner.close();
      }
      await prepareJobQueue(ownerUrl);
      await grantRuntime(ownerUrl, userOf(url));
    }
    const db = await connectDatabase(options.as === 'owner' ? ownerUrl : url, { poolMax: config.dbPoolMax, logger });
    if (ownerUrl === url) {
      const applied = await migrate(db);
      if (applied.length) logger.info({ applied }, 'migrations applied');
      // One role for everything: it may lack the right to create graphile-worker's schema.
      await prepareJobQueue(url).catch((err: unknown) => logger.warn({ err }, 'job queue not installed: batch verification is off until an owner installs it'));
    }
    return {
      db,
      ownerUrl,
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
    audit: await createAudit(config.dataDir, db, { checkpointEvery: config.auditCheckpointEvery, checkpointFilePath: config.auditCheckpointFile }),
    catalog,
  };
  await startVerification(services);
  const yoga = createHubYoga(services, options);
  const server = await listen(services, yoga, config.port, config.host);
  return {
    url: server.url,
    services,
    yoga,
    async close() {
      await server.close();
      await Promise.all([services.audit.log.close(), services.identity.close(), catalog.stop(), stopVerification(services)]);
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

/** The demo load drops and rebuilds indexes, which only the tables' owner may do. */
async function loadDemoAsOwner(opened: OpenedDatabase, config: Config, logger: Logger, trail: FixtureTrail): Promise<void> {
  if (opened.ownerUrl === opened.db.url) {
    if (await loadDemo(opened.db, logger, trail)) await seedVerificationDemo(opened.db.pool);
    return;
  }
  const owner = await connectDatabase(opened.ownerUrl, { poolMax: config.dbPoolMax, logger });
  try {
    if (await loadDemo(owner, logger, trail)) await seedVerificationDemo(owner.pool);
  } finally {
    await owner.close();
  }
}

/** Everything `npm start` does: database, catalogue registers, demo data on first start, HTTP. */
export async function startHub(config: Config, logger: Logger): Promise<RunningHub> {
  const started = Date.now();
  const opened = await openDatabase(config, logger);
  try {
    await withCommandTrail(config, opened.db, 'start', async (trail) => {
      await prepareRegisters(opened.db.pool, trail, { operator: config.operatorDepartment, logger });
      if (config.loadDemo) await loadDemoAsOwner(opened, config, logger, trail);
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
