import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { loadDevIssuer, type Role } from '../../src/access/index.js';
import { readConfig, type Config } from '../../src/config.js';
import { connectDatabase, createDatabaseIfMissing, withCredentials, type Database } from '../../src/db/index.js';
import { createLogger } from '../../src/log.js';
import { serveHub } from '../../src/main.js';
import type { HubOptions, HubServices } from '../../src/server/index.js';
import { TEMPLATE, withDatabase } from './global-setup.js';

/**
 * A fresh database of its own, cloned from the migrated template: `url` and `db` as the owner role
 * (which runs migrations), `runtimeUrl` as the role a hub runs as.
 */
export async function createTestDatabase(): Promise<{ url: string; runtimeUrl: string; db: Database; drop(): Promise<void> }> {
  const adminUrl = inject('adminUrl');
  const { user, password } = inject('runtimeRole');
  const name = `test_${randomBytes(6).toString('hex')}`;
  await createDatabaseIfMissing(adminUrl, name, TEMPLATE);
  const url = withDatabase(adminUrl, name);
  const db = await connectDatabase(url, { poolMax: 5, logger: createLogger('silent') });
  return {
    url,
    runtimeUrl: withCredentials(url, user, password),
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
  /** The database as the hub holds it: connected as the runtime role. */
  db: Database;
  /** The same database as its owner (who runs migrations and may switch triggers off). */
  owner: Database;
  config: Config;
  /** POSTs a GraphQL document over real HTTP, with only the headers given. */
  query<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  /** The running hub's services (identity, audit trail, ...). */
  services: HubServices;
  audit: {
    /** Audit entries whose subjects include `subject`, oldest first. */
    entriesAbout(subject: string): Promise<{ seq: number; department: string; purpose: string | null; outcome: string; resources: unknown }[]>;
  };
  /** A department system with a development-issuer token (roles default to `consumer`), stating a purpose if given. */
  as(department: string, options?: CallerOptions): Caller;
  close(): Promise<void>;
}

export interface CallerOptions {
  roles?: Role[];
  /** System id, the token's `sub`. (Default: `<department>-system`) */
  system?: string;
  /** Purpose code sent as `X-Purpose`; with no `caseNumber`, `TEST-0001` is sent as `X-Case-Number`. */
  purpose?: string;
  caseNumber?: string;
}

export interface Caller {
  /** The headers this caller sends: `authorization`, and the purpose headers when it states one. */
  headers(): Promise<Record<string, string>>;
  query<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
}

/** A hub serving over real HTTP on a free port, on a database of its own. */
export async function startTestHub(env: Record<string, string> = {}, options: HubOptions = {}): Promise<TestHub> {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'huitong-hub-'));
  const runtime = await connectDatabase(database.runtimeUrl, { poolMax: 10, logger: createLogger('silent') });
  const config = readConfig({
    DATABASE_URL: database.runtimeUrl,
    DATABASE_OWNER_URL: database.url,
    HUITONG_DATA_DIR: dataDir,
    HUITONG_DEV_ISSUER: 'true',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const server = await serveHub({ ...config, port: 0 }, createLogger(config.logLevel), runtime, options);
  const issuer = config.devIssuer ? await loadDevIssuer(dataDir) : null;
  const query: TestHub['query'] = async (query, variables, headers = {}) => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, ...((await res.json()) as object) };
  };
  return {
    url: server.url,
    db: runtime,
    owner: database.db,
    config,
    query,
    services: server.services,
    audit: {
      entriesAbout: async (subject) =>
        (
          await database.db.pool.query(
            `select seq::int, department, purpose, outcome, resources from audit_entry where subjects @> array[$1::text] order by seq`,
            [subject],
          )
        ).rows,
    },
    as(department, { roles = ['consumer' as Role], system, purpose, caseNumber } = {}) {
      if (!issuer) throw new Error('hub.as needs the development issuer (HUITONG_DEV_ISSUER=true)');
      let token: Promise<string> | null = null;
      const headers = async () => {
        token ??= issuer.sign({ department, roles, system }, config.jwtAudience);
        const stated: Record<string, string> = purpose ? { 'x-purpose': purpose, 'x-case-number': caseNumber ?? 'TEST-0001' } : {};
        return { authorization: `Bearer ${await token}`, ...stated };
      };
      return { headers, query: async (doc, variables, extra = {}) => query(doc, variables, { ...(await headers()), ...extra }) };
    },
    async close() {
      await server.close();
      await runtime.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
