import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { DEV_ISSUER, loadDevIssuer, registerSystemKey, type DevIssuer } from '../../src/access/index.js';
import { RELOAD_INTERVAL_MS, SystemKeys, UnknownKeyError } from '../../src/access/keys.js';
import { readConfig } from '../../src/config.js';
import { startTestHub, type TestHub } from '../support/hub.js';

let hub: TestHub;
let dev: DevIssuer;
let devPrivate: CryptoKey;
beforeAll(async () => {
  hub = await startTestHub();
  dev = await loadDevIssuer(hub.config.dataDir);
  const stored = JSON.parse(await (await import('node:fs/promises')).readFile(`${hub.config.dataDir}/dev-issuer.json`, 'utf8'));
  devPrivate = (await (await import('jose')).importJWK(stored.privateJwk, 'EdDSA')) as CryptoKey;
});
afterAll(() => hub?.close());

const claims = { dept: 'civil-affairs', roles: ['consumer'] };
const TYPENAME = '{ __typename }';
const DIVISION = '{ division(code: "431100") { name } }';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A token as the development issuer would sign it, with whatever changes a test makes. */
function devToken(change: (jwt: SignJWT) => SignJWT = (jwt) => jwt, payload: Record<string, unknown> = claims, kid?: string) {
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: 'EdDSA', kid: kid ?? dev.kid })
    .setIssuer(DEV_ISSUER)
    .setAudience(hub.config.jwtAudience)
    .setSubject('civil-affairs-dbzh')
    .setIssuedAt()
    .setExpirationTime('10m');
  return change(jwt).sign(devPrivate);
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsNow = () => {
  const now = Math.floor(Date.now() / 1000);
  return { ...claims, iss: DEV_ISSUER, aud: 'huitong', sub: 'civil-affairs-dbzh', iat: now, exp: now + 600 };
};

async function refusal(headers: Record<string, string>) {
  const res = await hub.query(TYPENAME, undefined, headers);
  expect(res.data ?? null).toBeNull();
  expect(res.status).toBe(401);
  return res.errors?.[0].extensions;
}

describe('a department system is known by its token', () => {
  test('a development-issuer token is accepted', async () => {
    const res = await hub.query(TYPENAME, undefined, bearer(await devToken()));
    expect(res.data).toEqual({ __typename: 'Query' });
  });

  test('a request without a token is UNAUTHENTICATED', async () => {
    expect(await refusal({})).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'missing-token' });
  });

  test('a token that is not a JWT is UNAUTHENTICATED', async () => {
    expect(await refusal(bearer('not-a-jwt'))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'malformed' });
  });

  test('an unsigned token (alg: none) is refused', async () => {
    const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claimsNow())}.`;
    expect(await refusal(bearer(token))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'alg-not-allowed' });
  });

  test('an HS256 token keyed with the public key is refused', async () => {
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const secret = await exportSPKI(publicKey);
    const input = `${base64url({ alg: 'HS256', typ: 'JWT', kid: dev.kid })}.${base64url(claimsNow())}`;
    const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    expect(await refusal(bearer(token))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'alg-not-allowed' });
  });

  test('an RS256 token signed with a key nobody registered is refused', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'rogue-1' })
      .setIssuer('civil-affairs-dbzh')
      .setAudience('huitong')
      .setSubject('civil-affairs-dbzh')
      .setExpirationTime('10m')
      .sign(privateKey);
    // A system id as issuer, and a kid nobody registered: the key is what is unknown.
    expect(await refusal(bearer(token))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'unknown-key' });
  });

  test('a flood of unknown kids reloads the key table once, not once per token (single flight, at most once a second)', async () => {
    // The real key table on the real database; only the queries are counted.
    let loads = 0;
    const pool = hub.db.pool;
    const counted = new Proxy(pool, {
      get(target, prop, receiver) {
        if (prop === 'query') return (...args: Parameters<typeof pool.query>) => ((loads += 1), (target.query as (...a: unknown[]) => unknown)(...args));
        return Reflect.get(target, prop, receiver);
      },
    });
    const keys = new SystemKeys(counted);
    await keys.load();
    loads = 0;
    const flood = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => keys.find(`made-up-${i}`)));
    expect(flood.every((r) => r.status === 'rejected' && r.reason instanceof UnknownKeyError)).toBe(true);
    expect(loads).toBe(1);
    await Promise.allSettled(Array.from({ length: 100 }, (_, i) => keys.find(`made-up-again-${i}`)));
    expect(loads).toBe(1); // within the minimum interval: no reload at all
    await new Promise((r) => setTimeout(r, RELOAD_INTERVAL_MS + 50));
    await keys.find('made-up-later').catch(() => {});
    expect(loads).toBe(2);
  });

  test('a token signed with another key under the development issuer’s kid fails its signature check', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: dev.kid })
      .setIssuer(DEV_ISSUER)
      .setAudience('huitong')
      .setSubject('civil-affairs-dbzh')
      .setExpirationTime('10m')
      .sign(privateKey);
    expect(await refusal(bearer(token))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'bad-signature' });
  });

  test('a token naming an unknown kid is refused', async () => {
    expect(await refusal(bearer(await devToken(undefined, claims, 'no-such-kid')))).toMatchObject({ reason: 'unknown-key' });
  });

  test('an expired token is refused', async () => {
    const token = await devToken((jwt) => jwt.setIssuedAt(Math.floor(Date.now() / 1000) - 7200).setExpirationTime(Math.floor(Date.now() / 1000) - 3600));
    expect(await refusal(bearer(token))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'expired' });
  });

  test('a token not valid before an hour from now is refused', async () => {
    const token = await devToken((jwt) => jwt.setNotBefore('1h').setExpirationTime('2h'));
    expect(await refusal(bearer(token))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'not-yet-valid' });
  });

  test('a token for another audience is refused', async () => {
    const token = await devToken((jwt) => jwt.setAudience('another-hub'));
    expect(await refusal(bearer(token))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'wrong-audience' });
  });

  test('a token from an issuer the hub does not trust is refused', async () => {
    const token = await devToken((jwt) => jwt.setIssuer('https://idp.elsewhere.example'));
    expect(await refusal(bearer(token))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'wrong-issuer' });
  });

  test.each([
    ['dept', { roles: ['consumer'] }],
    ['roles', { dept: 'civil-affairs' }],
    ['an empty roles list', { dept: 'civil-affairs', roles: [] }],
  ])('a token without %s is refused', async (_missing, payload) => {
    expect(await refusal(bearer(await devToken(undefined, payload)))).toMatchObject({ reason: 'missing-claim' });
  });

  test('a token without sub is refused', async () => {
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: dev.kid })
      .setIssuer(DEV_ISSUER)
      .setAudience('huitong')
      .setExpirationTime('10m')
      .sign(devPrivate);
    expect(await refusal(bearer(token))).toMatchObject({ reason: 'missing-claim' });
  });

  test('a token with a role the hub does not know is refused', async () => {
    expect(await refusal(bearer(await devToken(undefined, { dept: 'civil-affairs', roles: ['superuser'] })))).toMatchObject({
      reason: 'unknown-role',
    });
  });

  test('a token for an unregistered department is refused', async () => {
    expect(await refusal(bearer(await devToken(undefined, { dept: 'ministry-of-magic', roles: ['consumer'] })))).toMatchObject({
      reason: 'unknown-department',
    });
  });

  test('no refusal carries key material', async () => {
    const res = await hub.query(TYPENAME, undefined, bearer(await devToken(undefined, claims, 'no-such-kid')));
    expect(JSON.stringify(res)).not.toMatch(/"x":|"n":|BEGIN|publicJwk/);
  });
});

describe('a system signing its own tokens with a registered key', () => {
  let privateKey: CryptoKey;
  let publicJwk: JWK;
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    publicJwk = await exportJWK(pair.publicKey);
    await registerSystemKey(hub.db.pool, { kid: 'mca-dbzh-2026', department: 'civil-affairs', system: 'mca-dbzh', alg: 'ES256', publicJwk, roles: ['consumer'] });
    await new Promise((r) => setTimeout(r, 1100)); // unknown kids reload the registered keys at most once a second
  });

  const systemToken = (payload: Record<string, unknown>, system = 'mca-dbzh') =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid: 'mca-dbzh-2026' })
      .setIssuer(system)
      .setSubject(system)
      .setAudience('huitong')
      .setExpirationTime('10m')
      .sign(privateKey);

  test('is accepted once the key is registered', async () => {
    const res = await hub.query(TYPENAME, undefined, bearer(await systemToken(claims)));
    expect(res.data).toEqual({ __typename: 'Query' });
  });

  test('cannot speak for another department', async () => {
    expect(await refusal(bearer(await systemToken({ dept: 'public-security', roles: ['consumer'] })))).toMatchObject({
      reason: 'key-mismatch',
    });
  });

  test('cannot speak for another system', async () => {
    expect(await refusal(bearer(await systemToken(claims, 'gongan-hz')))).toMatchObject({ reason: 'wrong-issuer' });
  });

  test('a revoked key stops working at once, even for a token already verified and cached', async () => {
    const token = await systemToken(claims);
    expect((await hub.query(TYPENAME, undefined, bearer(token))).data).toEqual({ __typename: 'Query' });
    await hub.db.pool.query(`update system_key set revoked_at = now() where kid = 'mca-dbzh-2026'`);
    await vi.waitFor(async () => expect((await hub.query(TYPENAME, undefined, bearer(token))).status).toBe(401), { timeout: 500, interval: 20 });
  });

  test('a private key is not accepted for registration', async () => {
    const { privateKey: key } = await generateKeyPair('ES256', { extractable: true });
    await expect(
      registerSystemKey(hub.db.pool, { kid: 'oops', department: 'civil-affairs', system: 'mca-dbzh', alg: 'ES256', publicJwk: await exportJWK(key), roles: ['consumer'] }),
    ).rejects.toThrow(/private/);
  });
});

describe('no purpose, no data', () => {
  test('a look-up of a resource type without X-Purpose is PURPOSE_REQUIRED', async () => {
    const res = await hub.as('statistics').query(DIVISION);
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'PURPOSE_REQUIRED', reason: 'missing-purpose' });
  });

  test('a resource type reached through a named fragment or an inline fragment still needs a purpose', async () => {
    const viaFragment = await hub
      .as('statistics')
      .query('query Q { ...Root } fragment Root on Query { divisions(parentCode: "431100") { code } }');
    expect(viaFragment.errors?.[0].extensions).toMatchObject({ code: 'PURPOSE_REQUIRED' });
    const viaInline = await hub.as('statistics').query('{ ... on Query { division(code: "431100") { code } } }');
    expect(viaInline.errors?.[0].extensions).toMatchObject({ code: 'PURPOSE_REQUIRED' });
  });

  test('an unregistered purpose is PURPOSE_REQUIRED', async () => {
    const res = await hub.as('statistics', { purpose: 'curiosity', caseNumber: 'X-1' }).query(DIVISION);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'PURPOSE_REQUIRED', reason: 'unknown-purpose' });
  });

  test('a purpose without a case number is PURPOSE_REQUIRED', async () => {
    const headers = { ...(await hub.as('statistics').headers()), 'x-purpose': 'statistical-analysis' };
    const res = await hub.query(DIVISION, undefined, headers);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'PURPOSE_REQUIRED', reason: 'missing-case-number' });
  });

  test('a case number that is too long or not printable is PURPOSE_REQUIRED', async () => {
    for (const caseNumber of ['x'.repeat(65), 'A\tB']) {
      const headers = { ...(await hub.as('statistics').headers()), 'x-purpose': 'statistical-analysis', 'x-case-number': caseNumber };
      const res = await hub.query(DIVISION, undefined, headers);
      expect(res.errors?.[0].extensions).toMatchObject({ code: 'PURPOSE_REQUIRED', reason: 'malformed-case-number' });
    }
  });

  test('a purpose registered while the hub runs is accepted at once', async () => {
    await hub.db.pool.query(`insert into purpose (code, name, legal_basis) values ('flood-relief', '防汛救灾', '中华人民共和国防洪法')`);
    await new Promise((r) => setTimeout(r, 1100)); // the miss-reload throttle
    const res = await hub.as('statistics', { purpose: 'flood-relief', caseNumber: 'FX-2026-7' }).query(DIVISION);
    expect(res.data).toEqual({ division: { name: '永州市' } });
  });

  test('a query touching no resource type needs no purpose', async () => {
    const res = await hub.as('statistics').query('{ hub { name } }');
    expect(res.errors).toBeUndefined();
  });
});

describe('an issuer trusted through its JWKS URL', () => {
  let jwksHub: TestHub;
  let server: Server;
  const keys: { kid: string; privateKey: CryptoKey; publicJwk: JWK }[] = [];
  let fetches = 0;
  const addKey = async (kid: string) => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    keys.push({ kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } });
  };
  const ISSUER = 'https://idp.yongzhou.gov.example/realms/zwfw';

  beforeAll(async () => {
    await addKey('idp-1');
    server = createServer((_req, res) => {
      fetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    jwksHub = await startTestHub({ HUITONG_TRUSTED_ISSUERS: JSON.stringify({ [ISSUER]: `http://127.0.0.1:${port}/jwks` }) });
  });
  afterAll(async () => {
    await jwksHub?.close();
    server?.close();
  });

  const idpToken = (kid: string) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(ISSUER)
      .setSubject('mca-dbzh')
      .setAudience('huitong')
      .setExpirationTime('10m')
      .sign(keys.find((k) => k.kid === kid)!.privateKey);

  test('its tokens are accepted, and its key set is fetched once and cached', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await jwksHub.query(TYPENAME, undefined, bearer(await idpToken('idp-1')));
      expect(res.data).toEqual({ __typename: 'Query' });
    }
    expect(fetches).toBe(1);
  });

  test('a JWKS URL must be https; plain http only for a loopback address in development', () => {
    const trust = (url: string, mode = 'development') => () =>
      readConfig({ HUITONG_MODE: mode, HUITONG_TRUSTED_ISSUERS: JSON.stringify({ [ISSUER]: url }) });
    expect(trust('http://idp.yongzhou.gov.example/jwks')).toThrow(/JWKS URL of https:\/\/idp.yongzhou.gov.example\/realms\/zwfw must be https/);
    expect(trust('http://127.0.0.1:8080/jwks', 'production')).toThrow(/must be https/);
    expect(trust('ftp://idp.yongzhou.gov.example/jwks')).toThrow(/must be https/);
    expect(trust('https://idp.yongzhou.gov.example/jwks', 'production')().trustedIssuers).toEqual({ [ISSUER]: 'https://idp.yongzhou.gov.example/jwks' });
    expect(trust('http://127.0.0.1:8080/jwks')().trustedIssuers).toEqual({ [ISSUER]: 'http://127.0.0.1:8080/jwks' });
  });

  test('a key it adds later is fetched when a token names its unknown kid', async () => {
    await addKey('idp-2');
    await new Promise((r) => setTimeout(r, 1100)); // unknown kids refetch the key set at most once a second
    const res = await jwksHub.query(TYPENAME, undefined, bearer(await idpToken('idp-2')));
    expect(res.data).toEqual({ __typename: 'Query' });
    expect(fetches).toBe(2);
  });
});
