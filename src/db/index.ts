import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded.js';
import { ensureEmbeddedRuntimeUser, withCredentials } from './roles.js';

export { isDatabaseUnavailable } from './unavailable.js';
export { startEmbeddedPostgres, type EmbeddedServer, type EmbeddedState } from './embedded.js';
export { ensureLogin, grantRuntime, RUNTIME_GROUP, userOf, withCredentials } from './roles.js';
export { applyVersion, VERSION_COLUMNS, versionColumns, versionAt, withProvenance, type Applied, type IncomingVersion, type Provenance, type VersionedTable } from './versions.js';

/**
 * The hub's handle on PostgreSQL: a `pg` pool (plain SQL, one round trip per look-up). MikroORM
 * runs the migrations only, and is loaded only when one is pending: it takes seconds to load,
 * which a restart does not need.
 */
export interface Database {
  url: string;
  pool: pg.Pool;
  /** Timeouts for connections made outside the pool (the audit appender, listeners), as the pool's. */
  clientOptions: DatabaseTimeouts & pg.ClientConfig;
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
  return {
    url,
    pool,
    clientOptions,
    async close() {
      await pool.end();
    },
  };
}

/** MikroORM's migrator on `url`, for the time `work` takes. */
async function withMigrator<T>(url: string, work: (migrator: Migrator) => Promise<T>): Promise<T> {
  const [{ MikroORM }, { Migrator: MigratorExtension }, { migrations }, { catalogEntities }] = await Promise.all([
    import('@mikro-orm/postgresql'),
    import('@mikro-orm/migrations'),
    import('./migrations/index.js'),
    import('../catalog/entities.js'),
  ]);
  const orm = await MikroORM.init({
    clientUrl: url,
    entities: [...catalogEntities],
    extensions: [MigratorExtension],
    migrations: { migrationsList: migrations, transactional: true, allOrNothing: true, silent: true },
    pool: { min: 0, max: 1 },
    allowGlobalContext: false,
    debug: false,
  });
  try {
    return await work(orm.getMigrator());
  } finally {
    await orm.close(true);
  }
}

/**
 * Runs `work` (migrations, grants, installing the job queue) while holding the database's set-up
 * lock, so that processes starting together on one database take turns: concurrent GRANTs on the
 * same object fail in PostgreSQL with "tuple concurrently updated".
 */
export async function withSetupLock<T>(url: string, work: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, ...pgTimeouts(COMMAND_DB_TIMEOUTS) });
  await client.connect();
  try {
    await client.query(`select pg_advisory_lock(hashtext('huitong: database set-up'))`);
    return await work();
  } finally {
    await client.end(); // ending the session releases the lock
  }
}

/**
 * Runs `work` in a transaction on a pooled client of its own: committed if it returns, rolled
 * back if it throws. A client whose rollback failed is discarded rather than pooled again.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch((e: Error) => (broken = e));
    throw err;
  } finally {
    client.release(broken);
  }
}

/** Applies pending migrations; returns the names of those applied. */
export async function migrate(db: Database): Promise<string[]> {
  if (!(await pendingMigrations(db)).length) return [];
  const applied = await withMigrator(db.url, (migrator) => migrator.up());
  return applied.map((m) => m.name);
}

const MIGRATIONS_DIR = path.join(import.meta.dirname, 'migrations');
let migrationNames: Promise<string[]> | null = null;

/**
 * Migrations not yet applied, by plain SQL: the migration files (`Migration<prefix><Name>.ts`, or
 * `.js` in a build) against MikroORM's table of applied ones. A file missing from
 * `migrations/index.ts` stays pending, and `/readyz` says so.
 */
export async function pendingMigrations(db: Database): Promise<string[]> {
  migrationNames ??= readdir(MIGRATIONS_DIR).then((files) =>
    files.flatMap((f) => (/^Migration\d+\w*\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') ? [f.replace(/\.(ts|js)$/, '')] : [])).sort(),
  );
  const names = await migrationNames;
  let applied: Set<string>;
  try {
    applied = new Set((await db.pool.query<{ name: string }>('select name from mikro_orm_migrations')).rows.map((r) => r.name));
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return names; // no migration has run yet
    throw err;
  }
  return names.filter((n) => !applied.has(n));
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
