import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { Registers, registerSystemKey, SystemKeys, TokenRefused, TokenVerifier } from '../../src/access/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';

// Issue 11, point 1: a role is a right registered with the system (or mapped for a trusted issuer), not a claim.

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(() => hub?.close());

const TYPENAME = '{ __typename }';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const CLI = path.resolve(import.meta.dirname, '../../bin/huitong.js');
const run = promisify(execFile);
const huitong = (...args: string[]) =>
  run(process.execPath, [CLI, ...args], { env: { ...process.env, DATABASE_URL: hub.config.databaseUrl!, HUITONG_DATA_DIR: hub.config.dataDir, LOG_LEVEL: 'silent' } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

async function keyPair(): Promise<{ privateKey: CryptoKey; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, publicJwk: await exportJWK(publicKey) };
}
const systemToken = (privateKey: CryptoKey, kid: string, system: string, dept: string, roles: string[]) =>
  new SignJWT({ dept, roles }).setProtectedHeader({ alg: 'ES256', kid }).setIssuer(system).setSubject(system).setAudience('huitong').setExpirationTime('10m').sign(privateKey);

describe('a registered system key', () => {
  let privateKey: CryptoKey;
  beforeAll(async () => {
    const pair = await keyPair();
    privateKey = pair.privateKey;
    await registerSystemKey(hub.db.pool, { kid: 'tax-reporting-1', department: 'tax', system: 'tax-reporting', alg: 'ES256', publicJwk: pair.publicJwk, roles: ['consumer'] });
  });

  test('mints only the roles registered with it; asking for more is refused as role-not-granted', async () => {
    await vi.waitFor(async () => expect((await hub.query(TYPENAME, undefined, bearer(await systemToken(privateKey, 'tax-reporting-1', 'tax-reporting', 'tax', ['consumer'])))).status).toBe(200), { timeout: 3000, interval: 100 });
    const greedy = await systemToken(privateKey, 'tax-reporting-1', 'tax-reporting', 'tax', ['catalog-admin', 'auditor', 'provider', 'consumer', 'platform-admin']);
    const res = await hub.query(TYPENAME, undefined, bearer(greedy));
    expect(res.status).toBe(401);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'role-not-granted' });
  });

  test('registration refuses unknown or no roles', async () => {
    const { publicJwk } = await keyPair();
    await expect(registerSystemKey(hub.db.pool, { kid: 'x-1', department: 'tax', system: 'x', alg: 'ES256', publicJwk, roles: [] })).rejects.toThrow(/roles/);
  });
});

describe('huitong key register and huitong key revoke', () => {
  test('register binds roles and is audited; revoke is audited and stops the key at once, even for a cached token', async () => {
    const { privateKey, publicJwk } = await keyPair();
    const file = path.join(hub.config.dataDir, 'hrss-pension.jwk.json');
    await writeFile(file, JSON.stringify(publicJwk));
    const registered = await huitong('key', 'register', '--dept', 'hrss', '--system', 'hrss-pension', '--kid', 'hrss-pension-1', '--alg', 'ES256', '--jwk', file, '--roles', 'consumer,provider');
    expect(registered.stdout).toMatch(/registered key hrss-pension-1 for hrss-pension \(hrss\), roles consumer, provider/);
    const token = await systemToken(privateKey, 'hrss-pension-1', 'hrss-pension', 'hrss', ['consumer', 'provider']);
    await vi.waitFor(async () => expect((await hub.query(TYPENAME, undefined, bearer(token))).status).toBe(200), { timeout: 3000, interval: 100 });

    const refused = await huitong('key', 'revoke', '--kid', 'hrss-pension-1');
    expect(refused.code).not.toBe(0); // a revocation states why
    const revoked = await huitong('key', 'revoke', '--kid', 'hrss-pension-1', '--reason', '系统下线');
    expect(revoked.code).toBe(0);
    await vi.waitFor(async () => expect((await hub.query(TYPENAME, undefined, bearer(token))).status).toBe(401), { timeout: 1000, interval: 20 });
    const again = await huitong('key', 'revoke', '--kid', 'hrss-pension-1', '--reason', '再次');
    expect(again.code).not.toBe(0);

    const { rows } = await hub.db.pool.query(`select department, system, outcome, change from audit_entry where operation_name like 'key %' order by seq`);
    expect(rows).toEqual([
      {
        department: 'data-bureau',
        system: 'huitong-key',
        outcome: 'ok',
        change: expect.objectContaining({ action: 'key register', arguments: expect.objectContaining({ kid: 'hrss-pension-1', roles: ['consumer', 'provider'] }) }),
      },
      { department: 'data-bureau', system: 'huitong-key', outcome: 'ok', change: expect.objectContaining({ action: 'key revoke', arguments: { kid: 'hrss-pension-1' }, reason: '系统下线' }) },
      { department: 'data-bureau', system: 'huitong-key', outcome: 'failed:BAD_USER_INPUT', change: expect.objectContaining({ action: 'key revoke', reason: '再次' }) },
    ]);
  });
});

describe('a trusted issuer', () => {
  const ISSUER = 'https://idp.yongzhou.gov.example/realms/zwfw';
  let server: Server;
  let url: string;
  let privateKey: CryptoKey;
  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' };
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  afterAll(() => server?.close());

  const verifier = (issuerRoles?: Record<string, Record<string, string[]>>) =>
    new TokenVerifier({ audience: 'huitong', devIssuer: null, jwksIssuers: { [ISSUER]: url }, issuerRoles, systemKeys: new SystemKeys(hub.db.pool), registers: new Registers(hub.db.pool) });
  const idpToken = (dept: string, roles: string[]) =>
    new SignJWT({ dept, roles }).setProtectedHeader({ alg: 'RS256', kid: 'idp-1' }).setIssuer(ISSUER).setSubject(`${dept}-portal`).setAudience('huitong').setExpirationTime('10m').sign(privateKey);
  const reasonOf = (p: Promise<unknown>) => p.then(() => 'accepted', (err: unknown) => (err instanceof TokenRefused ? err.reason : String(err)));

  test('without a mapping its tokens may claim consumer only', async () => {
    const v = verifier();
    expect(await reasonOf(v.verify(await idpToken('civil-affairs', ['consumer'])))).toBe('accepted');
    expect(await reasonOf(v.verify(await idpToken('civil-affairs', ['consumer', 'catalog-admin'])))).toBe('role-not-granted');
  });

  test('the configured mapping says which roles each department may claim through it', async () => {
    const v = verifier({ [ISSUER]: { 'data-bureau': ['catalog-admin', 'auditor'], '*': ['consumer', 'provider'] } });
    expect(await reasonOf(v.verify(await idpToken('data-bureau', ['catalog-admin'])))).toBe('accepted');
    expect(await reasonOf(v.verify(await idpToken('public-security', ['provider', 'consumer'])))).toBe('accepted');
    expect(await reasonOf(v.verify(await idpToken('public-security', ['catalog-admin'])))).toBe('role-not-granted');
    expect(await reasonOf(v.verify(await idpToken('data-bureau', ['consumer'])))).toBe('role-not-granted');
  });
});
