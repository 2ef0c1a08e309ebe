import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { connectDatabase, createDatabaseIfMissing, ensureLogin, grantRuntime, migrate, startEmbeddedPostgres } from '../../src/db/index.js';
import { fixtureTrail } from '../../src/catalog/index.js';
import { prepareRegisters } from '../../src/main.js';
import { createLogger } from '../../src/log.js';
import { freePort } from './ports.js';
import { buildDist } from '../../scripts/build.js';

export const TEMPLATE = 'huitong_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a maintenance database on the test cluster, for creating each file's database (the owner role). */
    adminUrl: string;
    /** The runtime role test hubs connect as (a member of `huitong_runtime`). */
    runtimeRole: { user: string; password: string };
  }
}

/**
 * One PostgreSQL for the whole run (embedded, or `TEST_DATABASE_URL`), and one migrated template
 * database that every test file clones, so files run in parallel and never share state.
 */
export default async function setup(project: TestProject) {
  // Tests that spawn `npm start` or the CLI run `dist/` when it matches `src/` (else tsx): build it
  // now when `src/` has changed, so they run the code as it is, the way users run it.
  await buildDist({ onlyIfStale: true, quiet: true });
  const logger = createLogger(process.env.LOG_LEVEL ?? 'silent');
  let adminUrl = process.env.TEST_DATABASE_URL;
  let stop = async () => {};
  if (!adminUrl) {
    const dir = await mkdtemp(path.join(tmpdir(), 'huitong-test-'));
    const server = await startEmbeddedPostgres({ dir, port: await freePort(), logger, ephemeral: true });
    adminUrl = server.adminUrl;
    stop = async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const templateUrl = withDatabase(adminUrl, TEMPLATE);
  const admin = new (await import('pg')).default.Client(adminUrl);
  await admin.connect();
  await admin.query(`drop database if exists ${TEMPLATE}`);
  await admin.end();
  await createDatabaseIfMissing(adminUrl, TEMPLATE);
  const db = await connectDatabase(templateUrl, { poolMax: 2, logger });
  await migrate(db);
  await prepareRegisters(db.pool, fixtureTrail());
  await db.close();
  // Hubs run as a role that may only append to the audit trail, as `npm start` does.
  const runtimeRole = { user: 'huitong_test_runtime', password: 'test-runtime' };
  await ensureLogin(adminUrl, runtimeRole.user, runtimeRole.password);
  await grantRuntime(templateUrl, runtimeRole.user);
  project.provide('adminUrl', adminUrl);
  project.provide('runtimeRole', runtimeRole);
  return stop;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
