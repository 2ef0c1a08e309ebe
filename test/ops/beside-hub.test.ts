import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SHEET_ITEM_COLUMNS, SHEET_RESOURCE_COLUMNS } from '../../src/catalog/index.js';
import { freePort } from '../support/ports.js';
import { killGroup, npmStart, REPO, sleep, type HubProcess } from './process.js';

const run = promisify(execFile);
const CLI = path.join(REPO, 'bin/huitong.js');

/**
 * Every command beside a running `npm start` on the embedded PostgreSQL: each uses the hub's
 * server (no second PostgreSQL on the data directory, no "lock file already exists"), and the hub
 * keeps serving throughout.
 */
let dataDir: string;
let hub: HubProcess;
let env: Record<string, string>;
let postmaster: number;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'huitong-beside-'));
  env = { PORT: String(await freePort()), HUITONG_PG_PORT: String(await freePort()) };
  hub = await npmStart(dataDir, env);
  postmaster = hub.postmasterPid();
}, 120_000);
afterAll(async () => {
  if (hub) {
    killGroup(hub.npm, 'SIGTERM');
    await Promise.race([hub.exited, sleep(15_000)]);
  }
  await rm(dataDir, { recursive: true, force: true });
});

const huitong = (...args: string[]) =>
  run(process.execPath, [CLI, ...args], { cwd: REPO, env: { ...process.env, HUITONG_DATA_DIR: dataDir, ...env, LOG_LEVEL: 'warn' } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );

describe('the CLI beside a running hub', () => {
  test.each([
    ['migrate', ['migrate'], /migrations are current/],
    ['audit verify', ['audit', 'verify'], /audit chain intact/],
    ['catalog sync', ['catalog', 'sync'], /unchanged\s+spatial\.division/],
    ['seed', ['seed', '--persons', '30', '--seed', '7'], /seeded in/],
  ])('%s uses the running embedded server', async (_name, args, expected) => {
    const res = await huitong(...args);
    expect(res.stderr).not.toContain('postmaster.pid');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(expected);
    expect(hub.postmasterPid()).toBe(postmaster);
    expect((await fetch(`${hub.url}/readyz`)).status).toBe(200);
  }, 120_000);

  test('catalog import --dry-run and key register use it too', async () => {
    const file = path.join(dataDir, 'empty.csv');
    await writeFile(file, `${[...SHEET_RESOURCE_COLUMNS, ...SHEET_ITEM_COLUMNS].join(',')}\n`);
    const imported = await huitong('catalog', 'import', file, '--dry-run');
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('dry run: nothing stored');

    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = path.join(dataDir, 'k.jwk.json');
    await writeFile(jwk, JSON.stringify(await exportJWK(publicKey)));
    const registered = await huitong('key', 'register', '--dept', 'civil-affairs', '--system', 'mca-x', '--kid', 'mca-x-1', '--alg', 'ES256', '--jwk', jwk, '--roles', 'consumer');
    expect(registered.code, registered.stderr).toBe(0);
    expect(registered.stdout).toContain('registered key mca-x-1');
    expect(hub.postmasterPid()).toBe(postmaster);
  }, 120_000);

  test('a second `huitong serve` on the same data directory is refused, naming the running hub', async () => {
    const res = await huitong('serve');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/huitong serve \(pid \d+\) is already running the embedded PostgreSQL/);
    expect((await fetch(`${hub.url}/readyz`)).status).toBe(200);
  }, 60_000);
});

describe('GraphiQL in development', () => {
  test('opens with a working demo token, saying which department and role it is, and its first query answers', async () => {
    const page = await (await fetch(`${hub.url}/graphql`, { headers: { accept: 'text/html' } })).text();
    expect(page).toContain('demo token: civil-affairs (consumer)');
    const token = /Bearer ([A-Za-z0-9_.-]+)/.exec(page)?.[1];
    expect(token).toBeTruthy();
    const res = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': 'low-income-verification', 'x-case-number': 'DEMO-0001' },
      body: JSON.stringify({ query: '{ hub { departments { code } } }' }),
    });
    const body = (await res.json()) as { data?: { hub: { departments: { code: string }[] } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data!.hub.departments.map((d) => d.code)).toContain('civil-affairs');
  });

  test('the JWKS holds the hub key and the development issuer’s key', async () => {
    const jwks = (await (await fetch(`${hub.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid.split('-')[0]).sort()).toEqual(['dev', 'hub']);
  });
});

describe('quick commands load only what they need', () => {
  test('`huitong --help` and `huitong token` answer in under 1.5 s', async () => {
    for (const args of [['--help'], ['token', '--dept', 'tax']]) {
      const started = Date.now();
      const res = await huitong(...args);
      expect(res.code).toBe(0);
      expect(Date.now() - started, args.join(' ')).toBeLessThan(1_500);
    }
  });
});
