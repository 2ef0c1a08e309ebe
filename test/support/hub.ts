import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { readConfig, type Config } from '../../src/config.js';
import { connectDatabase, createDatabaseIfMissing, type Database } from '../../src/db/index.js';
import { createLogger } from '../../src/log.js';
import { serveHub } from '../../src/main.js';
import { TEMPLATE, withDatabase } from './global-setup.js';

/** A fresh database of its own, cloned from the migrated template. */
export async function createTestDatabase(): Promise<{ url: string; db: Database; drop(): Promise<void> }> {
  const adminUrl = inject('adminUrl');
  const name = `test_${randomBytes(6).toString('hex')}`;
  await createDatabaseIfMissing(adminUrl, name, TEMPLATE);
  const url = withDatabase(adminUrl, name);
  const db = await connectDatabase(url, { poolMax: 5, logger: createLogger('silent') });
  return {
    url,
    db,
    async drop() {
      await db.close();
      const admin = new pg.Client(adminUrl);
      await admin.connect();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

export interface TestHub {
  url: string;
  db: Database;
  config: Config;
  /** POSTs a GraphQL document over real HTTP. */
  query<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/** A hub serving over real HTTP on a free port, on a database of its own. */
export async function startTestHub(env: Record<string, string> = {}): Promise<TestHub> {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'huitong-hub-'));
  const config = readConfig({ DATABASE_URL: database.url, HUITONG_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env });
  const server = await serveHub({ ...config, port: 0 }, createLogger(config.logLevel), database.db);
  return {
    url: server.url,
    db: database.db,
    config,
    async query(query, variables, headers = {}) {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, ...((await res.json()) as object) };
    },
    async close() {
      await server.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
