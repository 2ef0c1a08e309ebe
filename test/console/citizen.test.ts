import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadDevIssuer } from '../../src/access/index.js';
import { grantDemoAccess, seedCity } from '../../src/simulate/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';

let hub: TestHub;
let alice: string;
let bob: string;

const MY_LOG = `query Mine { myAccessLog(first: 20) { edges { node { seq at department system purpose caseNumber resources { resource fields } outcome } } pageInfo { hasNextPage endCursor } } }`;

beforeAll(async () => {
  hub = await startTestHub();
  await seedCity(hub.owner.pool, { persons: 300, seed: 23 });
  await grantDemoAccess(hub.db.pool);
  await hub.services.catalog.reload();
  const ids = (await hub.db.pool.query<{ id: string }>(`select id_number as id from person where valid_to is null order by id_number limit 2`)).rows;
  [alice, bob] = ids.map((r) => r.id);
  // Civil affairs looks Alice up for a low-income case: the access she should see.
  const res = await hub
    .as('civil-affairs', { purpose: 'low-income-verification', caseNumber: 'YZ-2026-0042' })
    .query(`query Check($id: String!) { person(idNumber: $id) { name idNumber birthDate } }`, { id: alice });
  expect(res.errors).toBeUndefined();
}, 120_000);
afterAll(() => hub?.close());

async function citizenToken(idNumber: string): Promise<string> {
  const issuer = await loadDevIssuer(hub.config.dataDir);
  return issuer.signCitizen(idNumber, hub.config.jwtAudience);
}
const asCitizen = async (idNumber: string, query: string, variables?: Record<string, unknown>) =>
  hub.query(query, variables, { authorization: `Bearer ${await citizenToken(idNumber)}` });

describe("a citizen's data tracker (myAccessLog)", () => {
  test('shows the citizen who read their data: department, purpose, case number, when and which fields', async () => {
    const res = await asCitizen(alice, MY_LOG);
    expect(res.errors).toBeUndefined();
    const nodes = res.data.myAccessLog.edges.map((e: { node: unknown }) => e.node);
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ department: 'civil-affairs', purpose: 'low-income-verification', caseNumber: 'YZ-2026-0042', outcome: 'ok' });
    expect(nodes[0].resources).toEqual([{ resource: 'population.person', fields: expect.arrayContaining(['name', 'idNumber', 'birthDate']) }]);
    expect(new Date(nodes[0].at).getTime()).toBeGreaterThan(Date.now() - 600_000);
  });

  test('shows only their own: another citizen sees nothing of it', async () => {
    const res = await asCitizen(bob, MY_LOG);
    expect(res.errors).toBeUndefined();
    expect(res.data.myAccessLog.edges).toEqual([]);
  });

  test('the citizen looking at their log is itself entered in the audit trail before the answer', async () => {
    const before = (await hub.audit.entriesAbout(alice)).length;
    await asCitizen(alice, MY_LOG);
    const after = await hub.audit.entriesAbout(alice);
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)).toMatchObject({ department: '(citizen)', outcome: 'ok', resources: [{ resource: 'audit.my-access-log', fields: ['myAccessLog'], subjects: [alice] }] });
    // ... and their own views are not shown back to them as accesses by others.
    const mine = await asCitizen(alice, MY_LOG);
    expect(mine.data.myAccessLog.edges.map((e: { node: { department: string } }) => e.node.department)).toEqual(['civil-affairs']);
  });

  test('every other path is refused for a citizen, and each refusal is audited', async () => {
    const attempts = [
      `{ person(idNumber: "${bob}") { name } }`,
      `{ accessLog(subject: "${bob}") { edges { node { seq } } } }`,
      `{ hub { departments { code } } }`,
      `{ catalogResources { totalCount } }`,
      `{ __schema { queryType { name } } }`,
      `{ myAccessLog { edges { cursor } } ...F } fragment F on Query { person(idNumber: "${bob}") { name } }`,
      `mutation { retireResource(code: "population.person", reason: "x") { code } }`,
    ];
    const count = async () => Number((await hub.owner.pool.query(`select count(*) from audit_entry where department = '(citizen)' and outcome like 'refused:FORBIDDEN%' or (department = '(citizen)' and outcome like 'denied:%')`)).rows[0].count);
    const before = await count();
    for (const doc of attempts) {
      const res = await asCitizen(alice, doc);
      expect(res.data ?? null).toBeNull();
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'citizen-scope' });
    }
    expect(await count()).toBe(before + attempts.length);
  });

  test('a department may not use myAccessLog (auditors have accessLog)', async () => {
    const res = await hub.as('data-bureau', { roles: ['auditor'] }).query(MY_LOG);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'citizen-only' });
  });

  test('a citizen token from an issuer the hub does not trust is refused; a department issuer cannot make citizens', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await new SignJWT({ kind: 'citizen' })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'x' })
      .setIssuer('https://idp.example')
      .setAudience(hub.config.jwtAudience)
      .setSubject(alice)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const res = await hub.query(MY_LOG, undefined, { authorization: `Bearer ${forged}` });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('demo sign-in (development issuer only)', () => {
  const post = (body: unknown, type = 'application/json') =>
    fetch(`${hub.url}/console/dev-token`, { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify(body) });

  test('gives a short-lived token for a registered department and roles, which the API accepts', async () => {
    const res = await post({ department: 'data-bureau', roles: ['auditor'] });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    const log = await hub.query(`{ accessLog(subject: "${alice}") { edges { node { department } } } }`, undefined, { authorization: `Bearer ${token}` });
    expect(log.errors).toBeUndefined();
    const [, payload] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(15 * 60);
  });

  test('gives a citizen token for a valid ID number, and refuses bad input with the field', async () => {
    const ok = await post({ citizen: alice });
    expect(ok.status).toBe(200);
    const { token } = (await ok.json()) as { token: string };
    expect((await hub.query(MY_LOG, undefined, { authorization: `Bearer ${token}` })).errors).toBeUndefined();
    expect(await (await post({ citizen: '431102198503120212' })).json()).toMatchObject({ code: 'BAD_USER_INPUT', field: 'citizen' });
    expect(await (await post({ department: 'nowhere', roles: ['consumer'] })).json()).toMatchObject({ field: 'department' });
    expect(await (await post({ department: 'tax', roles: ['root'] })).json()).toMatchObject({ field: 'roles' });
    expect((await post({ department: 'tax', roles: ['consumer'] }, 'text/plain')).status).toBe(415);
  });

  test('is refused when the development issuer is off', async () => {
    const off = await startTestHub({ HUITONG_DEV_ISSUER: 'false' });
    try {
      const res = await fetch(`${off.url}/console/dev-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ department: 'data-bureau', roles: ['auditor'] }) });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'dev-issuer-off' });
      expect(await (await fetch(`${off.url}/console/config.json`)).json()).toMatchObject({ devSignIn: false });
    } finally {
      await off.close();
    }
  });
});

describe('a citizen identity issuer (HUITONG_CITIZEN_ISSUERS)', () => {
  test("signs citizens in by its JWKS; its tokens are never a department's, and nobody else's are a citizen's", async () => {
    const { createServer } = await import('node:http');
    const { exportJWK } = await import('jose');
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'citizen-1', alg: 'ES256', use: 'sig' };
    const jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const issuer = 'https://citizen-id.example';
    const url = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks`;
    const other = await startTestHub({ HUITONG_CITIZEN_ISSUERS: JSON.stringify({ [issuer]: url }) });
    const sign = (claims: Record<string, unknown>, sub: string) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'citizen-1' }).setIssuer(issuer).setAudience(other.config.jwtAudience).setSubject(sub).setIssuedAt().setExpirationTime('5m').sign(privateKey);
    try {
      const ok = await other.query(MY_LOG, undefined, { authorization: `Bearer ${await sign({ kind: 'citizen' }, alice)}` });
      expect(ok.errors).toBeUndefined();
      expect(ok.data.myAccessLog.edges).toEqual([]);
      const asDepartment = await other.query(`{ hub { name } }`, undefined, { authorization: `Bearer ${await sign({ dept: 'tax', roles: ['consumer'] }, 'tax-system')}` });
      expect(asDepartment.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'wrong-issuer' });
    } finally {
      await other.close();
      jwks.close();
    }
  });
});
