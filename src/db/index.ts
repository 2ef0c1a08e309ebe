import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import { catalogEntities } from '../catalog/index.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded.js';
import { migrations } from './migrations/index.js';
import { ensureEmbeddedRuntimeUser, withCredentials } from './roles.js';

export { isDatabaseUnavailable } from './unavailable.js';
export { startEmbeddedPostgres, type EmbeddedServer, type EmbeddedState } from './embedded.js';
export { ensureLogin, grantRuntime, RUNTIME_GROUP, userOf, withCredentials } from './roles.js';
export { applyVersion, VERSION_COLUMNS, versionColumns, versionAt, withProvenance, type Applied, type IncomingVersion, type Provenance, type VersionedTable } from './versions.js';

/**
 * The hub's handle on PostgreSQL: a `pg` pool for hot paths (plain SQL, one round trip per
 * look-up) and a MikroORM instance for entities and migrations.
 */
export interface Database {
  url: string;
  pool: pg.Pool;
  /** Timeouts for connections made outside the pool (the audit appender, listeners), as the pool's. */
  clientOptions: DatabaseTimeouts & pg.ClientConfig;
  orm: MikroORM;
  close(): Promise<void>;
}

/** Dates (`date` columns) stay `YYYY-MM-DD` strings: a JS Date would shift them by the time zone. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.DATE ? (value: string) => value : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Every database wait of the hub is bounded; these are the bounds (0: none). */
export interface DbTimeouts {
  /** Connecting a new connection. */
  connectTimeoutMs: number;
  /** Waiting for a pooled connection when all are busy, connecting one included. */
  acquireTimeoutMs: number;
  /** PostgreSQL's `statement_timeout`; the client gives up 1 s later when the server does not answer at all (frozen). */
  statementTimeoutMs: number;
}

/**
 * Without timeouts given (commands, seeding, migrations, whose index builds may run long): a
 * connect timeout only. The running hub passes its configured ones (`dbTimeouts(config)`).
 */
export const COMMAND_DB_TIMEOUTS: DbTimeouts = { connectTimeoutMs: 10_000, acquireTimeoutMs: 0, statementTimeoutMs: 0 };

type DatabaseTimeouts = { connectionTimeoutMillis?: number; statement_timeout?: number; query_timeout?: number };

/** pg settings for `timeouts`: a server that stops answering (SIGSTOP, a network cut) ends a wait too. */
export function pgTimeouts(timeouts: DbTimeouts): DatabaseTimeouts {
  return {
    ...(timeouts.connectTimeoutMs ? { connectionTimeoutMillis: timeouts.connectTimeoutMs } : {}),
    ...(timeouts.statementTimeoutMs ? { statement_timeout: timeouts.statementTimeoutMs, query_timeout: timeouts.statementTimeoutMs + 1000 } : {}),
  };
}

export async function connectDatabase(url: string, options: { poolMax: number; logger: Logger; timeouts?: DbTimeouts }): Promise<Database> {
  const timeouts = options.timeouts ?? COMMAND_DB_TIMEOUTS;
  const clientOptions = pgTimeouts(timeouts);
  const pool = new pg.Pool({ connectionString: url, max: options.poolMax, types, ...clientOptions, connectionTimeoutMillis: timeouts.acquireTimeoutMs || undefined });
  pool.on('error', (err) => options.logger.warn({ err }, 'idle PostgreSQL connection failed'));
  const orm = await MikroORM.init({
    clientUrl: url,
    entities: [...catalogEntities],
    extensions: [Migrator],
    migrations: { migrationsList: migrations, transactional: true, allOrNothing: true, silent: true },
    pool: { min: 0, max: 4, ...(timeouts.acquireTimeoutMs ? { acquireTimeoutMillis: timeouts.acquireTimeoutMs } : {}) },
    allowGlobalContext: false,
    debug: false,
  });
  return {
    url,
    pool,
    clientOptions,
    orm,
    async close() {
      await Promise.allSettled([pool.end(), orm.close(true)]);
    },
  };
}

/** Applies pending migrations; returns the names of those applied. */
export async function migrate(db: Database): Promise<string[]> {
  const applied = await db.orm.getMigrator().up();
  return applied.map((m) => m.name);
}

export async function pendingMigrations(db: Database): Promise<string[]> {
  return (await db.orm.getMigrator().getPendingMigrations()).map((m) => m.name);
}

/**
 * The PostgreSQL to use, as two roles: `url` for the hub at run time (a member of the runtime group,
 * which may only append to the audit trail) and `ownerUrl` for migrations, which owns the tables.
 * With `DATABASE_URL`, the owner is `DATABASE_OWNER_URL` when given, else the same role (then the
 * hub's own role could switch the audit triggers off: only the checkpoint file would tell). Else the
 * embedded server under the data directory, started here, with the `huitong` database created on
 * first start, its superuser as the owner and `huitong_app` as the runtime role.
 */
export async function locateDatabase(
  config: Config,
  logger: Logger,
  options: { attach?: boolean; command?: string } = {},
): Promise<{ url: string; ownerUrl: string; embedded: EmbeddedServer | null }> {
  if (config.databaseUrl) return { url: config.databaseUrl, ownerUrl: config.databaseOwnerUrl ?? config.databaseUrl, embedded: null };
  const embedded = await startEmbeddedPostgres({
    dir: config.dataDir,
    port: config.embeddedPgPort,
    logger,
    attach: options.attach,
    command: options.command,
    maxRestarts: config.embeddedPgMaxRestarts,
  });
  try {
    await createDatabaseIfMissing(embedded.adminUrl, 'huitong');
    const runtime = await ensureEmbeddedRuntimeUser(embedded.adminUrl, config.dataDir);
    const ownerUrl = embedded.urlFor('huitong');
    return { url: withCredentials(ownerUrl, runtime.user, runtime.password), ownerUrl, embedded };
  } catch (err) {
    await embedded.stop();
    throw err;
  }
}

export async function createDatabaseIfMissing(adminUrl: string, name: string, template?: string): Promise<void> {
  const client = new pg.Client(adminUrl);
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) {
      const ident = pg.Client.prototype.escapeIdentifier(name);
      await client.query(`create database ${ident}${template ? ` template ${pg.Client.prototype.escapeIdentifier(template)}` : ''}`);
    }
  } finally {
    await client.end();
  }
}
