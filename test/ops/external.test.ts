import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadDevIssuer } from '../../src/access/index.js';
import { readConfig } from '../../src/config.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/db/index.js';
import { createLogger } from '../../src/log.js';
import { startHub, type RunningHub } from '../../src/main.js';
import { freePort } from '../support/ports.js';
import { waitFor } from './process.js';

/**
 * With `DATABASE_URL` the hub does not own its PostgreSQL: when that database goes away the hub
 * says so (not ready, stable 503s), stays alive, and recovers when it is back, without restarting.
 */
describe('with DATABASE_URL, the same minus restarting', () => {
  let pgDir: string;
  let dataDir: string;
  let port: number;
  let server: EmbeddedServer;
  let hub: RunningHub;
  let token: string;
  const logger = createLogger('silent');
  const start = () => startEmbeddedPostgres({ dir: pgDir, port, logger, ephemeral: true, maxRestarts: 0 });

  beforeAll(async () => {
    pgDir = await mkdtemp(path.join(tmpdir(), 'huitong-extpg-'));
    dataDir = await mkdtemp(path.join(tmpdir(), 'huitong-ext-'));
    port = await freePort();
    server = await start();
    const config = readConfig({
      DATABASE_URL: server.urlFor('postgres'),
      HUITONG_DATA_DIR: dataDir,
      HUITONG_DEV_ISSUER: 'true',
      HUITONG_DB_STATEMENT_TIMEOUT_MS: '1500',
      HUITONG_DB_ACQUIRE_TIMEOUT_MS: '1500',
      HUITONG_DB_CONNECT_TIMEOUT_MS: '1500',
      LOG_LEVEL: 'silent',
    });
    hub = await startHub({ ...config, port: 0 }, logger);
    token = await (await loadDevIssuer(dataDir)).sign({ department: 'statistics', roles: ['consumer'] }, 'huitong');
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
    await server?.stop();
    await rm(pgDir, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  });

  const lookUp = async () => {
    const res = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': 'statistical-analysis', 'x-case-number': 'T-1' },
      body: JSON.stringify({ query: '{ division(code: "431103") { code } }' }),
    });
    const body = (await res.json()) as { data?: unknown; errors?: { extensions: { code: string } }[] };
    return { status: res.status, code: body.errors?.[0]?.extensions.code ?? 'ok' };
  };

  test('the database stopped: not ready within a second, 503s with stable codes, still alive; started again: ready and answering', async () => {
    expect(await lookUp()).toEqual({ status: 200, code: 'ok' });
    await server.stop();
    const asked = Date.now();
    expect((await fetch(`${hub.url}/readyz`)).status).toBe(503);
    expect(Date.now() - asked).toBeLessThan(1_000);
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const answer = await lookUp();
      expect(answer.status).toBe(503);
      expect(['SOURCE_UNAVAILABLE', 'AUDIT_UNAVAILABLE']).toContain(answer.code);
    }
    server = await start();
    await waitFor('/readyz 200', async () => (await fetch(`${hub.url}/readyz`)).status === 200, 20_000);
    await waitFor('answers again', async () => (await lookUp()).code === 'ok', 10_000);
  }, 60_000);
});
