import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadDevIssuer } from '../src/access/index.js';
import { createTestDatabase } from './support/hub.js';
import { freePort } from './support/ports.js';

const CLI = path.resolve(import.meta.dirname, '../bin/huitong.js');
const run = promisify(execFile);

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'huitong-cli-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe('huitong serve on its embedded PostgreSQL', () => {
  test('answers GraphQL and /healthz, stops cleanly on SIGTERM, and keeps its data across a restart', async () => {
    const env = { HUITONG_DATA_DIR: dataDir, PORT: String(await freePort()), HUITONG_PG_PORT: String(await freePort()) };

    const first = await serve(env);
    expect(await graphql(first.url, '{ __typename }', dataDir)).toEqual({ data: { __typename: 'Query' } });
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    const demoLoadedAt = await graphql(first.url, '{ hub { name } }', dataDir);
    expect(await first.stop()).toBe(0);
    expect(first.output()).toContain('stopped cleanly');
    expect(first.output()).toContain('demo data loaded');

    const second = await serve(env);
    expect(await graphql(second.url, '{ hub { name } }', dataDir)).toEqual(demoLoadedAt);
    expect(await second.stop()).toBe(0);
    // The demo is loaded on the first start only: the second found the cluster and its data.
    expect(second.output()).not.toContain('demo data loaded');
    expect(second.output()).not.toContain('creating the embedded PostgreSQL cluster');
  }, 120_000);
});

describe('huitong serve with DATABASE_URL', () => {
  test('uses the given PostgreSQL, migrates it, and starts no embedded server', async () => {
    const database = await createTestDatabase();
    const externalDir = await mkdtemp(path.join(tmpdir(), 'huitong-ext-'));
    try {
      const env = { DATABASE_URL: database.url, HUITONG_DATA_DIR: externalDir, HUITONG_DEV_ISSUER: 'true', PORT: String(await freePort()) };
      const hub = await serve(env);
      expect(await graphql(hub.url, '{ __typename }', externalDir)).toEqual({ data: { __typename: 'Query' } });
      expect(await hub.stop()).toBe(0);
      expect(existsSync(path.join(externalDir, 'pg'))).toBe(false);
    } finally {
      await database.drop();
      await rm(externalDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('huitong token', () => {
  test('prints a JWT signed by the development issuer, naming department, roles and expiry', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'token', '--dept', 'civil-affairs', '--role', 'consumer', '--ttl', '2h'], {
      env: { ...process.env, HUITONG_DATA_DIR: dataDir },
    });
    const issuer = await loadDevIssuer(dataDir);
    const { payload } = await jwtVerify(stdout.trim(), createLocalJWKSet({ keys: [issuer.publicJwk] }), {
      issuer: 'huitong-dev',
      audience: 'huitong',
    });
    expect(payload).toMatchObject({ dept: 'civil-affairs', roles: ['consumer'], sub: 'civil-affairs-system' });
    expect(payload.exp! - payload.iat!).toBe(7200);
  });

  test('refuses an unknown role and says which roles exist', async () => {
    const failed = await run(process.execPath, [CLI, 'token', '--dept', 'tax', '--role', 'superuser'], {
      env: { ...process.env, HUITONG_DATA_DIR: dataDir },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toContain('not one of consumer, provider, catalog-admin, auditor, platform-admin');
  });
});

describe('huitong key register', () => {
  test('registers a department system’s public key, and refuses a private one', async () => {
    const database = await createTestDatabase();
    try {
      const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
      const file = path.join(dataDir, 'mca-dbzh.jwk.json');
      await writeFile(file, JSON.stringify(await exportJWK(publicKey)));
      const env = { ...process.env, DATABASE_URL: database.url, HUITONG_DATA_DIR: dataDir };
      const args = ['key', 'register', '--dept', 'civil-affairs', '--system', 'mca-dbzh', '--kid', 'mca-dbzh-1', '--alg', 'ES256', '--jwk', file, '--roles', 'consumer'];
      const { stdout } = await run(process.execPath, [CLI, ...args], { env });
      expect(stdout).toContain('registered key mca-dbzh-1 for mca-dbzh (civil-affairs)');
      const { rows } = await database.db.pool.query('select department, system, alg, roles from system_key');
      expect(rows).toEqual([{ department: 'civil-affairs', system: 'mca-dbzh', alg: 'ES256', roles: ['consumer'] }]);

      await writeFile(file, JSON.stringify(await exportJWK(privateKey)));
      const failed = await run(process.execPath, [CLI, ...args.map((a) => (a === 'mca-dbzh-1' ? 'mca-dbzh-2' : a))], { env }).catch(
        (err: { code: number; stderr: string }) => err,
      );
      expect(failed).toMatchObject({ code: 1 });
      expect((failed as { stderr: string }).stderr).toContain('register the public key only');
    } finally {
      await database.drop();
    }
  }, 60_000);
});

interface Served {
  url: string;
  output(): string;
  stop(): Promise<number | null>;
}

async function serve(env: Record<string, string>): Promise<Served> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'serve'], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 60 s:\n${output}`)), 60_000);
    const check = () => {
      const match = /serving GraphQL at (\S+)\/graphql/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', check);
    exited.then((code) => reject(new Error(`exited with ${code} before serving:\n${output}`)));
  });
  return {
    url,
    output: () => output,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Asks as `civil-affairs`, with a token from the development issuer kept in `dataDir`. */
async function graphql(url: string, query: string, dataDir: string): Promise<unknown> {
  const token = await (await loadDevIssuer(dataDir)).sign({ department: 'civil-affairs', roles: ['consumer'] }, 'huitong');
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return res.json();
}
