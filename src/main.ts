import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { createIdentity } from './access/index.js';
import { CheckpointFile, createAudit, ensureHubKeys, hasNoAuditHistory } from './audit/index.js';
import { CatalogState, openCommandTrail, syncRegisters, syncResources, type ChangeActor, type ChangeTrail, type FixtureTrail } from './catalog/index.js';
import { dbTimeouts, type Config } from './config.js';
import { connectDatabase, grantRuntime, locateDatabase, migrate, userOf, withSetupLock, type Database, type EmbeddedServer, type EmbeddedState } from './db/index.js';
import { Exchange, scheduleConnectors } from './exchange/index.js';
import { writeSimulatorEnv } from './exchange/simulator-env.js';
import type { Logger } from './log.js';
import { loadReferenceData } from './registries/index.js';
import { createLookupSources, lookupChecks } from './registries/department/index.js';
import { createHubYoga, listen, type HubOptions, type HubServices, type HubYoga } from './server/index.js';
import { HubHealth } from './server/health.js';
import { HubMetrics } from './server/metrics.js';
import { RepeatedFailures } from './server/throttle.js';
import { loadDemo } from './simulate/index.js';
import { startDepartmentSimulators } from './simulate/departments/index.js';
import { startLookupSimulator, switchesFromEnv, type LookupSimulator } from './simulate/lookups/index.js';
import { startVerification, stopVerification } from './verification/index.js';
import { prepareJobQueue } from './verification/batch.js';
import { demoLookupHoldings, seedVerificationDemo } from './verification/demo.js';

export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

export interface OpenedDatabase {
  db: Database;
  /** The owner role's URL (the same as `db.url` with one role), for bulk loads that rebuild indexes. */
  ownerUrl: string;
  embedded: EmbeddedServer | null;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Connect as the runtime role (the hub) or the owner (seeding). (Default: runtime) */
  as?: 'runtime' | 'owner';
  /**
   * Use the embedded PostgreSQL a running hub (or command) has started on the same data directory,
   * rather than refusing: every CLI command does, so it works beside `npm start`. (Default: true;
   * `serve` refuses a second hub on one data directory)
   */
  attach?: boolean;
  /** Named in the data directory's owner file, for another comer's messages. (Default: `huitong`) */
  command?: string;
}

/**
 * Finds (or starts) PostgreSQL, applies pending migrations as the owner role, grants the runtime
 * role its rights, and connects as the runtime role (or, `as: 'owner'`, for seeding, as the owner).
 */
export async function openDatabase(config: Config, logger: Logger, options: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
  const { url, ownerUrl, embedded } = await locateDatabase(config, logger, { attach: options.attach ?? true, command: options.command });
  try {
    if (ownerUrl !== url) {
      await withSetupLock(ownerUrl, async () => {
        const owner = await connectDatabase(ownerUrl, { poolMax: 1, logger });
        try {
          const applied = await migrate(owner);
          if (applied.length) logger.info({ applied }, 'migrations applied');
        } finally {
          await owner.close();
        }
        await prepareJobQueue(ownerUrl);
        await grantRuntime(ownerUrl, userOf(url));
      });
    }
    // The runtime role's pool gets the hub's bounds; the owner's (seeding: long index builds) a connect timeout only.
    const timeouts = options.as === 'owner' ? undefined : dbTimeouts(config);
    const db = await connectDatabase(options.as === 'owner' ? ownerUrl : url, { poolMax: config.dbPoolMax, logger, timeouts });
    if (ownerUrl === url) {
      await withSetupLock(url, async () => {
        const applied = await migrate(db);
        if (applied.length) logger.info({ applied }, 'migrations applied');
        // One role for everything: it may lack the right to create graphile-worker's schema.
        await prepareJobQueue(url).catch((err: unknown) => logger.warn({ err }, 'job queue not installed: batch verification is off until an owner installs it'));
      });
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
export async function serveHub(
  config: Config,
  logger: Logger,
  db: Database,
  options: HubOptions & { embedded?: { state(): EmbeddedState } | null } = {},
): Promise<RunningHub> {
  const catalog = new CatalogState(db.pool, logger);
  await catalog.start(db.url);
  const failures = new RepeatedFailures(logger);
  const services: HubServices = {
    health: new HubHealth(db, options.embedded ?? null, failures),
    failures,
    config,
    logger,
    db,
    version: VERSION,
    identity: await createIdentity(config, db, logger),
    audit: await createAudit(config.dataDir, db, { checkpointEvery: config.auditCheckpointEvery, checkpointFilePath: config.auditCheckpointFile }),
    catalog,
    lookups: options.lookups ?? createLookupSources({ logger, dir: config.connectorsDir ?? undefined }),
    // Connector definitions are checked here: a bad one stops the start, every problem listed.
    exchange: Exchange.load(db.pool, logger, { ...process.env }, config.connectorsDir ?? undefined),
  };
  // Lookup answers are checked against the catalogue's record schemas; malformed ones go to quarantine.
  services.lookups?.check(lookupChecks(services));
  await startVerification(services);
  services.metrics = new HubMetrics(services);
  const yoga = createHubYoga(services, options);
  const server = await listen(services, yoga, config.port, config.host);
  return {
    url: server.url,
    services,
    yoga,
    async close() {
      await server.close();
      await services.exchange?.stop();
      await Promise.all([services.audit.log.close(), services.identity.close(), catalog.stop(), stopVerification(services)]);
      failures.flush();
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

/**
 * The simulated department systems of the demo (`HUITONG_SIMULATORS`, on with the demo): the
 * financial institutions' lookup system. `env` gives the base URLs the connector definitions name,
 * for the variables the operator has not set.
 */
async function startSimulators(config: Config, logger: Logger): Promise<{ env: Record<string, string>; handle: LookupSimulator | null; close(): Promise<void> }> {
  if (!config.simulators) return { env: {}, handle: null, close: async () => {} };
  const lookup = await startLookupSimulator({ port: config.simLookupPort, ...switchesFromEnv() });
  logger.info({ url: lookup.url, switches: lookup.switches }, 'simulated financial-institutions lookup system started');
  return { env: { FINANCIAL_INSTITUTIONS_URL: lookup.url }, handle: lookup, close: () => lookup.close() };
}

async function firstRuns(exchange: Exchange, logger: Logger): Promise<void> {
  for (const d of exchange.definitions.values()) {
    if (exchange.stopped) return;
    if (d.kind === 'lookup' || d.enabled === false) continue;
    const result = await exchange.run(d.id, { startedBy: 'start' }).catch((err: Error) => ({ state: 'failed', error: err.message }));
    logger.info({ connector: d.id, ...result }, 'first sync of the demo');
  }
}

/** Everything `npm start` does: database, catalogue registers, demo data on first start, HTTP. */
export async function startHub(config: Config, logger: Logger): Promise<RunningHub> {
  const started = Date.now();
  // Progress for what can be slow: each step says how long it took.
  const step = (msg: string, since: number) => logger.info({ ms: Date.now() - since }, `start: ${msg}`);
  logger.info({ loadMs: Math.round(process.uptime() * 1000) }, 'start: code loaded');
  const opened = await openDatabase(config, logger, { attach: false, command: 'huitong serve' });
  step('database open and migrated', started);
  try {
    // Before anything is audited: a missing key on a hub with history stops the start here, naming the file.
    const checkpointFile = new CheckpointFile(config.auditCheckpointFile);
    await ensureHubKeys(config.dataDir, {
      isNewHub: () => hasNoAuditHistory(opened.db.pool, checkpointFile),
      onCreated: (kid, file) => logger.info({ kid, file }, 'hub key created (first start of a hub with no audit history)'),
    });
    await withCommandTrail(config, opened.db, 'start', async (trail) => {
      const registering = Date.now();
      await prepareRegisters(opened.db.pool, trail, { operator: config.operatorDepartment, logger });
      step('registers, catalogue and reference data synced', registering);
      if (config.loadDemo) await loadDemoAsOwner(opened, config, logger, trail);
    });
    const serving = Date.now();
    const lookupSimulator = await startSimulators(config, logger);
    // The demo households' accounts (README verdicts) at the one financial source.
    if (lookupSimulator.handle && config.loadDemo) await demoLookupHoldings(opened.db.pool, lookupSimulator.handle);
    const hub = await serveHub(config, logger, opened.db, { embedded: opened.embedded, lookups: createLookupSources({ logger, dir: config.connectorsDir ?? undefined, env: { ...lookupSimulator.env, ...process.env } }) }).catch(async (err) => {
      await lookupSimulator.close();
      throw err;
    });
    step('identity, audit trail and catalogue in memory; listening', serving);
    const exchange = hub.services.exchange!;
    const simulators = config.simulators
      ? await startDepartmentSimulators({ adminUrl: opened.embedded?.adminUrl ?? opened.ownerUrl, pool: opened.db.pool, dataDir: config.dataDir, records: config.simulatorRecords, logger })
      : null;
    if (simulators) {
      Object.assign(exchange.env, simulators.env);
      await writeSimulatorEnv(config.dataDir, simulators.env);
      for (const [system, sim] of simulators.rest) exchange.simulators.set(system, sim);
      exchange.simulators.set('frontdb', simulators.frontDbHandle);
    }
    // The lookup simulator's switches change at run time through the same mutation (setSimulatorSwitches).
    if (lookupSimulator.handle) exchange.simulators.set('financial-regulator-lookup', lookupSimulator.handle);
    const schedules = config.scheduleSyncs ? scheduleConnectors(exchange) : null;
    // In the demo, every connector runs once at start, one after another, so records arrive at once.
    if (simulators && schedules) void firstRuns(exchange, logger);
    logger.info(
      { url: `${hub.url}/graphql`, ms: Date.now() - started, sinceProcessStartMs: Math.round(process.uptime() * 1000), embedded: !!opened.embedded, simulators: !!simulators },
      'Huitong is serving',
    );
    return {
      ...hub,
      async close() {
        await schedules?.stop();
        await hub.close();
        await simulators?.close();
        await lookupSimulator.close();
        await opened.close();
      },
    };
  } catch (err) {
    await opened.close();
    throw err;
  }
}
