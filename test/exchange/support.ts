import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { loadDefinitions, type ConnectorDefinition } from '../../src/exchange/index.js';
import { connectDatabase, type Database } from '../../src/db/index.js';
import { createLogger } from '../../src/log.js';
import { datasetContext, startFrontDb, type DatasetContext, type FrontDb, type FrontDbOptions } from '../../src/simulate/departments/index.js';
import { createTestDatabase } from '../support/hub.js';

export const silent = createLogger('silent');

/** The shipped definition of a connector, as `huitong sync` reads it. */
export function definition(id: string, changes: Partial<ConnectorDefinition> = {}): ConnectorDefinition {
  const found = loadDefinitions().find((d) => d.id === id);
  if (!found) throw new Error(`no connector ${id}`);
  return { ...found, ...changes };
}

/** A database of the test's own, connected as the runtime role a hub runs as, and the synthetic city's villages. */
export async function exchangeDatabase(): Promise<{ db: Database; url: string; ownerUrl: string; city: DatasetContext; drop(): Promise<void> }> {
  const database = await createTestDatabase();
  const db = await connectDatabase(database.runtimeUrl, { poolMax: 6, logger: silent });
  const { rows } = await db.pool.query<{ code: string; countyCode: string }>(
    `select v.code, left(v.code, 6) as "countyCode" from division v where v.level = 'village' and v.code like '4311%' and v.valid_to is null order by v.code`,
  );
  return {
    db,
    url: database.runtimeUrl,
    ownerUrl: database.url,
    city: datasetContext(rows),
    async drop() {
      await db.close();
      await database.drop();
    },
  };
}

/**
 * A front-end exchange database (前置库) of the test's own, in a database and role named for it:
 * `close()` drops both, and a start that fails drops what it had made.
 */
export async function frontDatabase(city: DatasetContext, options: Omit<FrontDbOptions, 'database' | 'role'>): Promise<FrontDb> {
  const name = `frontdb_${randomBytes(4).toString('hex')}`;
  const dropDatabaseAndRole = async () => {
    const admin = new pg.Client(inject('adminUrl'));
    await admin.connect();
    try {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.query(`drop role if exists ${name}`);
    } finally {
      await admin.end();
    }
  };
  let front: FrontDb;
  try {
    front = await startFrontDb(inject('adminUrl'), city, { ...options, database: name, role: name });
  } catch (err) {
    await dropDatabaseAndRole();
    throw err;
  }
  return {
    ...front,
    async close() {
      await front.close();
      await dropDatabaseAndRole();
    },
  };
}

export async function count(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(sql, params);
  return Number(rows[0].n);
}
