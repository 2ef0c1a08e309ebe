import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Role } from '../../src/access/index.js';
import { hubToday } from '../../src/access/index.js';
import { fixtureTrail, syncResources } from '../../src/catalog/index.js';
import { prepareRegisters } from '../../src/main.js';
import { grantAccess } from '../../src/simulate/index.js';
import { CITIZENS, citizenDeclaration, citizenSchema } from '../support/citizens.js';
import { startTestHub, type GraphQLResponse, type TestHub } from '../support/hub.js';

// Issue 11 (who may do what) and issue 10 point 6 (every catalogue change audited, none undone by a start).

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({}, { schema: citizenSchema() });
});
afterAll(() => hub?.close());

const [zhang] = CITIZENS;
const UNTIL = `${new Date().getFullYear() + 2}-12-31`;
const as = (department: string, roles: Role[], purpose?: string) => hub.as(department, { roles, purpose });
const operator = () => as('data-bureau', ['catalog-admin']);
const code = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
const reason = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.reason;

const REGISTER = `mutation($r: ResourceInput!, $why: String!) { registerResource(resource: $r, reason: $why) { code version provider } }`;
const UPDATE = `mutation($r: ResourceInput!, $why: String!) { updateResource(resource: $r, reason: $why) { code version provider retired } }`;
const RETIRE = `mutation($code: ID!) { retireResource(code: $code, reason: "不再共享") { code retired } }`;
const PROPOSE = `mutation($r: ResourceInput!, $why: String!) { proposeResourceChange(resource: $r, reason: $why) { id status department } }`;
const APPROVE_PROPOSAL = `mutation($id: ID!) { approveResourceProposal(id: $id, reason: "经审核同意") { id status decidedBy } }`;
const ASK = `mutation($r: AccessRequestInput!) { requestAccess(request: $r) { id status } }`;
const APPROVE = `mutation($id: ID!, $fields: [String!], $masked: [String!], $why: String) {
  approveAccessRequest(id: $id, fields: $fields, maskedFields: $masked, reason: $why) { id status grant { id fields { name level } validFrom revokedAt } } }`;
const REVOKE = `mutation($id: ID!) { revokeGrant(id: $id, reason: "核对完成") { id revokedAt } }`;
const REQUEST = `query($id: ID!) { accessRequest(id: $id) { status events { kind } grant { revokedAt fields { name level } } } }`;
const CITIZEN = `query($id: String!) { citizen(idNumber: $id) { idNumber name birthDate disability } }`;

async function register(over: Record<string, unknown>) {
  const res = await operator().query(REGISTER, { r: citizenDeclaration(over), why: 'test' });
  expect(res.errors).toBeUndefined();
}
async function ask(consumer: string, resource: string, r: Record<string, unknown> = {}): Promise<string> {
  const res = await as(consumer, ['consumer']).query(ASK, {
    r: { resource, fields: ['idNumber', 'name', 'birthDate'], purpose: 'low-income-verification', legalBasis: '社会救助暂行办法', validUntil: UNTIL, ...r },
  });
  expect(res.errors).toBeUndefined();
  return res.data.requestAccess.id;
}
async function grant(consumer: string, resource: string, provider = 'public-security'): Promise<{ request: string; grant: string }> {
  const request = await ask(consumer, resource);
  const res = await as(provider, ['provider']).query(APPROVE, { id: request, why: '核对需要' });
  expect(res.errors).toBeUndefined();
  return { request, grant: res.data.approveAccessRequest.grant.id };
}
const requestOf = async (id: string) => (await operator().query(REQUEST, { id })).data.accessRequest;
const auditOf = async (action: string) =>
  (await hub.db.pool.query(`select department, outcome, change from audit_entry where operation_name = $1 order by seq`, [action])).rows;

describe('1. a role is a right registered with the system, not a claim it makes', () => {
  // The key-bound and issuer-mapped checks are in test/access/roles.test.ts; here what a token of the development issuer may do.
  test('the development issuer is unchanged: its tokens carry the roles they are signed with', async () => {
    const res = await as('tax', ['consumer', 'auditor']).query(`{ accessRequests { id } }`);
    expect(res.errors).toBeUndefined();
  });
});

describe('2. catalogue administration belongs to the operator', () => {
  beforeAll(() => register({ code: 'test.takeover' }));

  test("another department's catalogue administrator cannot take over, retire or register a resource", async () => {
    const healthAdmin = as('health', ['catalog-admin']);
    const moved = await healthAdmin.query(UPDATE, { r: citizenDeclaration({ code: 'test.takeover', provider: 'health' }), why: '接管' });
    expect([code(moved), reason(moved)]).toEqual(['FORBIDDEN', 'operator-only']);
    const retired = await healthAdmin.query(RETIRE, { code: 'test.takeover' });
    expect([code(retired), reason(retired)]).toEqual(['FORBIDDEN', 'operator-only']);
    const registered = await healthAdmin.query(REGISTER, { r: citizenDeclaration({ code: 'test.health-own', provider: 'health' }), why: 'x' });
    expect([code(registered), reason(registered)]).toEqual(['FORBIDDEN', 'operator-only']);
    expect((await operator().query(`{ catalogResource(code: "test.takeover") { provider } }`)).data.catalogResource.provider).toBe('public-security');
  });

  test('even the operator cannot move a resource to another provider unless the old provider proposes it', async () => {
    const moved = await operator().query(UPDATE, { r: citizenDeclaration({ code: 'test.takeover', provider: 'health' }), why: '调整' });
    expect([code(moved), reason(moved)]).toEqual(['FORBIDDEN', 'provider-consent-required']);
    // Nor may a department propose for a resource it does not provide.
    const proposed = await as('health', ['provider']).query(PROPOSE, { r: citizenDeclaration({ code: 'test.takeover', provider: 'health' }), why: '接管' });
    expect([code(proposed), reason(proposed)]).toEqual(['FORBIDDEN', 'not-provider']);
  });

  test("another department's catalogue administrator cannot revoke a grant it did not make", async () => {
    const { grant: id } = await grant('civil-affairs', 'test.takeover');
    expect(code(await as('health', ['catalog-admin']).query(REVOKE, { id }))).toBe('FORBIDDEN');
    // Nor does it list other departments' requests, as the operator's administrators do.
    const listed = async (department: string) => (await as(department, ['catalog-admin']).query(`{ accessRequests { consumer } }`)).data.accessRequests;
    expect(await listed('health')).toEqual([]);
    expect(await listed('data-bureau')).toContainEqual({ consumer: 'civil-affairs' });
    // With the provider role too, another department's grant does not exist for it.
    expect(code(await as('health', ['catalog-admin', 'provider']).query(REVOKE, { id }))).toBe('NOT_FOUND');
    expect((await operator().query(REVOKE, { id })).errors).toBeUndefined();
  });

  test('the provider proposes a change to its own resource; the operator decides, and may not decide its own', async () => {
    const items = citizenDeclaration().items.map((i) => (i.name === 'district' ? { ...i, title: '所在县区' } : i));
    const proposed = await as('public-security', ['provider']).query(PROPOSE, { r: citizenDeclaration({ code: 'test.takeover', items }), why: '更正标题' });
    expect(proposed.data.proposeResourceChange).toMatchObject({ status: 'pending', department: 'public-security' });
    const id = proposed.data.proposeResourceChange.id;
    const byProvider = await as('public-security', ['catalog-admin']).query(APPROVE_PROPOSAL, { id });
    expect([code(byProvider), reason(byProvider)]).toEqual(['FORBIDDEN', 'operator-only']);
    const approved = await operator().query(APPROVE_PROPOSAL, { id });
    expect(approved.data.approveResourceProposal).toMatchObject({ status: 'approved', decidedBy: 'data-bureau/data-bureau-system' });
    const history = await operator().query(`{ resourceHistory(code: "test.takeover") { version reason diff { path } } }`);
    expect(history.data.resourceHistory[0]).toMatchObject({ version: 2, diff: [{ path: 'items[district].title' }] });
  });
});

describe('3. a department never decides its own request; a change of provider suspends and re-examines', () => {
  beforeAll(() => register({ code: 'test.grid-keepers' }));

  test('a provider moved by consent suspends pending requests, revokes the old grants, and never decides its own request', async () => {
    const pending = await ask('statistics', 'test.grid-keepers');
    const { request: granted } = await grant('civil-affairs', 'test.grid-keepers');
    const proposed = await as('public-security', ['provider']).query(PROPOSE, { r: citizenDeclaration({ code: 'test.grid-keepers', provider: 'statistics' }), why: '职责划转' });
    expect((await operator().query(APPROVE_PROPOSAL, { id: proposed.data.proposeResourceChange.id })).errors).toBeUndefined();

    expect((await requestOf(pending)).status).toBe('suspended');
    expect(await requestOf(granted)).toMatchObject({ status: 'revoked', grant: { revokedAt: expect.any(String) } });
    const own = await as('statistics', ['provider']).query(APPROVE, { id: pending, why: '自批' });
    expect([code(own), reason(own)]).toEqual(['FORBIDDEN', 'own-request']);
    const rejectOwn = await as('statistics', ['provider']).query(`mutation($id: ID!) { rejectAccessRequest(id: $id, reason: "x") { id } }`, { id: pending });
    expect([code(rejectOwn), reason(rejectOwn)]).toEqual(['FORBIDDEN', 'own-request']);
    // The old provider decides nothing any more.
    expect(code(await as('public-security', ['provider']).query(APPROVE, { id: pending, why: '同意' }))).toBe('NOT_FOUND');
  });
});

describe('4. retiring ends grants; reinstating revives none', () => {
  beforeAll(() => register({ code: 'test.retiring' }));

  test('retirement revokes live grants and rejects pending requests; a reinstatement shows in the diff and revives nothing', async () => {
    const { request: granted } = await grant('civil-affairs', 'test.retiring');
    const pending = await ask('hrss', 'test.retiring');
    expect((await operator().query(RETIRE, { code: 'test.retiring' })).errors).toBeUndefined();
    expect((await requestOf(granted)).status).toBe('revoked');
    expect((await requestOf(pending)).status).toBe('rejected');
    expect(code(await as('public-security', ['provider']).query(APPROVE, { id: pending, why: '同意' }))).toBe('BAD_USER_INPUT');

    const reinstated = await operator().query(UPDATE, { r: citizenDeclaration({ code: 'test.retiring' }), why: '恢复共享' });
    expect(reinstated.data.updateResource).toMatchObject({ retired: false, version: 3 });
    expect((await requestOf(granted)).status).toBe('revoked');
    const history = await operator().query(`{ resourceHistory(code: "test.retiring") { change diff { path before after } } }`);
    expect(history.data.resourceHistory[0]).toEqual({ change: 'reinstated', diff: [{ path: 'retired', before: 'true', after: 'false' }] });
  });
});

describe('5. the trail says what and why, refused attempts included; history and events are append-only', () => {
  test('two revocations of different grants are told apart by their arguments', async () => {
    await register({ code: 'test.trail' });
    const a = await grant('civil-affairs', 'test.trail');
    const b = await grant('hrss', 'test.trail');
    for (const id of [a.grant, b.grant]) expect((await as('public-security', ['provider']).query(REVOKE, { id })).errors).toBeUndefined();
    const revocations = (await auditOf('revokeGrant')).filter((e) => [a.grant, b.grant].includes(e.change.arguments.id));
    expect(revocations.map((e) => e.change.arguments)).toEqual([
      { id: a.grant, reason: '核对完成' },
      { id: b.grant, reason: '核对完成' },
    ]);
  });

  test('refused attempts (FORBIDDEN, NOT_FOUND, BAD_USER_INPUT) are recorded with their arguments', async () => {
    await as('tax', ['catalog-admin']).query(RETIRE, { code: 'test.trail' });
    await operator().query(RETIRE, { code: 'test.nowhere' });
    await as('civil-affairs', ['consumer']).query(ASK, {
      r: { resource: 'test.trail', fields: ['idNumber'], purpose: 'low-income-verification', legalBasis: 'x', validFrom: '0000-01-01', validUntil: UNTIL },
    });
    const retirements = await auditOf('retireResource');
    expect(retirements).toEqual(
      expect.arrayContaining([
        { department: 'tax', outcome: 'denied:FORBIDDEN', change: expect.objectContaining({ arguments: { code: 'test.trail', reason: '不再共享' }, detail: expect.objectContaining({ reason: 'operator-only' }) }) },
        { department: 'data-bureau', outcome: 'failed:NOT_FOUND', change: expect.objectContaining({ arguments: { code: 'test.nowhere', reason: '不再共享' } }) },
      ]),
    );
    const asked = await auditOf('requestAccess');
    expect(asked.at(-1)).toMatchObject({ outcome: 'failed:BAD_USER_INPUT', change: { arguments: { request: { validFrom: '0000-01-01' } } } });
  });

  test('the version history and the request events refuse UPDATE, DELETE and TRUNCATE', async () => {
    for (const table of ['catalog_resource_version', 'access_request_event']) {
      await expect(hub.db.pool.query(`update ${table} set reason = 'x'`)).rejects.toThrow(/append-only/);
      await expect(hub.db.pool.query(`delete from ${table}`)).rejects.toThrow(/append-only/);
      await expect(hub.db.pool.query(`truncate ${table} cascade`)).rejects.toThrow(/append-only/);
    }
  });
});

describe('6. grant periods are bounded and dated; approval states a reason; masks exist; revoked shows revoked', () => {
  beforeAll(() => register({ code: 'test.periods' }));
  const askWith = (r: Record<string, unknown>) =>
    as('civil-affairs', ['consumer']).query(ASK, { r: { resource: 'test.periods', fields: ['idNumber'], purpose: 'low-income-verification', legalBasis: 'x', validUntil: UNTIL, ...r } });

  test('backdated, unbounded and impossible dates are BAD_USER_INPUT, never INTERNAL_SERVER_ERROR', async () => {
    for (const [r, argument] of [
      [{ validFrom: '2000-01-01' }, 'validFrom'],
      [{ validUntil: '9999-12-31' }, 'validUntil'],
      [{ validFrom: '0000-01-01' }, 'validFrom'],
      [{ validUntil: '2027-02-30' }, 'validUntil'],
      [{ validUntil: `${new Date().getFullYear() + 3}-12-31` }, 'validUntil'],
    ] as const) {
      expect((await askWith(r)).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
    }
  });

  test('the longest grant is configurable', async () => {
    const short = await startTestHub({ HUITONG_GRANT_MAX_MONTHS: '1' }, { schema: citizenSchema() });
    try {
      await short.as('data-bureau', { roles: ['catalog-admin'] }).query(REGISTER, { r: citizenDeclaration(), why: 'test' });
      const res = await short.as('civil-affairs').query(ASK, { r: { resource: 'test.citizen', fields: ['idNumber'], purpose: 'low-income-verification', legalBasis: 'x', validUntil: UNTIL } });
      expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'validUntil' });
    } finally {
      await short.close();
    }
  });

  test('an approval states its reason, masks only items with a mask rule, and never grants a period already over', async () => {
    const id = await ask('civil-affairs', 'test.periods');
    const provider = as('public-security', ['provider']);
    expect((await provider.query(APPROVE, { id })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'reason' });
    expect((await provider.query(APPROVE, { id, why: '同意', masked: ['birthDate'] })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'maskedFields' });
    // A request whose whole period has passed (made long ago) makes no dead grant.
    await hub.db.pool.query(`update access_request set valid_from = current_date - 40, valid_until = current_date - 10 where id = $1`, [id]);
    expect((await provider.query(APPROVE, { id, why: '同意' })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'validUntil' });
    // One that began in the past is granted from today.
    await hub.db.pool.query(`update access_request set valid_until = current_date + 10 where id = $1`, [id]);
    const approved = await provider.query(APPROVE, { id, why: '同意' });
    const { rows } = await hub.db.pool.query(`select valid_from::text as "validFrom" from access_grant where id = $1`, [approved.data.approveAccessRequest.grant.id]);
    expect(rows[0].validFrom).toBe(hubToday());
  });

  test('a revoked grant shows as revoked in every listing', async () => {
    const { request, grant: id } = await grant('hrss', 'test.periods');
    await as('public-security', ['provider']).query(REVOKE, { id });
    const listed = async (status: string) => (await operator().query(`{ accessRequests(status: ${status}) { id } }`)).data.accessRequests.map((r: { id: string }) => r.id);
    expect(await listed('approved')).not.toContain(request);
    expect(await listed('revoked')).toContain(request);
    expect((await requestOf(request)).status).toBe('revoked');
  });
});

describe('7. open questions, as decided in the README', () => {
  beforeAll(async () => {
    await register({});
    await grant('civil-affairs', 'test.citizen');
  });
  const read = (department: string, roles: Role[]) => as(department, roles, 'low-income-verification').query(CITIZEN, { id: zhang.idNumber });

  test("a token holding only auditor or only provider reads no other department's data, grants or not", async () => {
    expect((await read('civil-affairs', ['consumer'])).data.citizen).toMatchObject({ idNumber: zhang.idNumber, birthDate: zhang.birthDate });
    for (const roles of [['auditor'], ['provider'], ['catalog-admin'], ['platform-admin']] as Role[][]) {
      const res = await read('civil-affairs', roles);
      expect(res.data.citizen).toEqual({ idNumber: null, name: null, birthDate: null, disability: null });
    }
    // The provider department reads its own data with any role.
    expect((await read('public-security', ['auditor'])).data.citizen).toMatchObject({ idNumber: zhang.idNumber });
  });

  test("only the operator's auditors read the trail: a department's auditor does not see every department's accesses", async () => {
    const log = `{ accessLog(subject: "${zhang.idNumber}") { edges { node { department } } } }`;
    const departmental = await as('civil-affairs', ['auditor']).query(log);
    expect([code(departmental), reason(departmental)]).toEqual(['FORBIDDEN', 'operator-only']);
    expect(code(await as('civil-affairs', ['auditor']).query(`{ auditVerification { ok } }`))).toBe('FORBIDDEN');
    expect((await as('data-bureau', ['auditor']).query(log)).errors).toBeUndefined();
  });

  test("raising an item's sensitivity re-examines live grants: clear becomes masked, or goes", async () => {
    const items = citizenDeclaration().items.map((i) => (i.name === 'name' || i.name === 'birthDate' ? { ...i, sensitivity: 'sensitive' } : i));
    expect((await operator().query(UPDATE, { r: citizenDeclaration({ items }), why: '提高敏感级别' })).errors).toBeUndefined();
    const res = await read('civil-affairs', ['consumer']);
    expect(res.data.citizen).toMatchObject({ idNumber: zhang.idNumber, name: '张*', birthDate: null });
    const { rows } = await hub.db.pool.query(`select fields from access_grant where resource = 'test.citizen' and revoked_at is null`);
    expect(rows).toEqual([{ fields: { idNumber: 'clear', name: 'masked' } }]);
  });

  test('approval re-checks the request against the resource as it is: items, sharing, sensitivity', async () => {
    await register({ code: 'test.recheck' });
    const raised = await ask('tax', 'test.recheck', { fields: ['idNumber', 'mobile'] });
    const removed = await ask('hrss', 'test.recheck', { fields: ['birthDate'] });
    const items = citizenDeclaration().items.filter((i) => i.name !== 'birthDate').map((i) => (i.name === 'mobile' ? { ...i, sensitivity: 'sensitive' } : i));
    await operator().query(UPDATE, { r: citizenDeclaration({ code: 'test.recheck', items }), why: '调整信息项' });
    const provider = as('public-security', ['provider']);
    expect((await provider.query(APPROVE, { id: removed, why: '同意' })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'fields' });
    expect((await provider.query(APPROVE, { id: raised, why: '同意' })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'fields' });
    const masked = await provider.query(APPROVE, { id: raised, why: '同意', masked: ['mobile'] });
    expect(masked.data.approveAccessRequest.grant.fields).toEqual([
      { name: 'idNumber', level: 'clear' },
      { name: 'mobile', level: 'masked' },
    ]);
    const late = await ask('health', 'test.recheck', { fields: ['idNumber'] });
    await operator().query(UPDATE, { r: citizenDeclaration({ code: 'test.recheck', items, sharing: { type: 'unconditional', methods: ['query'] } }), why: '无条件共享' });
    expect((await provider.query(APPROVE, { id: late, why: '同意' })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'id' });
  });
});

describe('issue 10.6: every catalogue change by any path is audited or does not happen', () => {
  test('a start never undoes a change made through the API; catalog sync applies the file, audited', async () => {
    const division = (await operator().query(`{ catalogResource(code: "spatial.division") { version } }`)).data.catalogResource;
    const declaration = (await hub.db.pool.query(`select declaration from catalog_resource where code = 'spatial.division'`)).rows[0].declaration;
    const changed = { ...declaration, summary: `${declaration.summary}（经接口修改）` };
    expect((await operator().query(UPDATE, { r: changed, why: '接口修改' })).errors).toBeUndefined();

    const trail = { log: hub.services.audit.log, actor: { department: 'data-bureau', system: 'huitong-start', roles: ['platform-admin'] } };
    const started = await prepareRegisters(hub.db.pool, trail, { operator: 'data-bureau' });
    expect(started.differs).toEqual(['spatial.division']);
    const kept = (await hub.db.pool.query(`select version, declaration->>'summary' as summary from catalog_resource where code = 'spatial.division'`)).rows[0];
    expect(kept).toEqual({ version: division.version + 1, summary: changed.summary });
    expect(await auditOf('catalog sync at start')).toEqual([]); // nothing changed, nothing to record

    const outcomes = await syncResources(hub.db.pool, trail, { operator: 'data-bureau' });
    expect(outcomes.find((o) => o.code === 'spatial.division')).toMatchObject({ change: 'updated', diff: [{ path: 'summary' }] });
    const [entry] = await auditOf('catalog sync');
    expect(entry.change.detail.outcomes).toEqual([expect.objectContaining({ code: 'spatial.division', change: 'updated' })]);
  });

  test('a catalogue change does not stand when its audit entry cannot be written', async () => {
    await register({ code: 'test.unaudited' });
    await hub.owner.pool.query('alter table audit_entry rename to audit_entry_away');
    try {
      const res = await operator().query(RETIRE, { code: 'test.unaudited' });
      expect(code(res)).toBe('AUDIT_UNAVAILABLE');
    } finally {
      await hub.owner.pool.query('alter table audit_entry_away rename to audit_entry');
    }
    expect((await operator().query(`{ catalogResource(code: "test.unaudited") { retired version } }`)).data.catalogResource).toEqual({ retired: false, version: 1 });
  });

  test("the demo's grants, seeded at a first start, are entered in the trail the start passes", async () => {
    await register({ code: 'test.seeded' });
    const trail = { log: hub.services.audit.log, actor: { department: 'data-bureau', system: 'huitong-start', roles: ['platform-admin'] } };
    await grantAccess(hub.db.pool, [{ consumer: 'civil-affairs', resource: 'test.seeded', purpose: 'low-income-verification', fields: ['idNumber'], legalBasis: '社会救助暂行办法' }], trail);
    const [asked] = (await auditOf('requestAccess')).filter((e) => e.change.arguments.request?.resource === 'test.seeded');
    expect(asked).toMatchObject({ department: 'data-bureau', outcome: 'ok', change: { reason: '社会救助暂行办法' } });
    expect((await auditOf('approveAccessRequest')).at(-1)).toMatchObject({ department: 'data-bureau', outcome: 'ok', change: { reason: 'demo grant' } });
  });

  test('nothing is written without a trail: syncResources refuses a change it cannot record', async () => {
    await expect(syncResources(hub.db.pool, null, {})).rejects.toThrow(/audit trail/);
    // The template's fixture trail exists for the test and benchmark templates only.
    expect(typeof fixtureTrail().log.record).toBe('function');
  });
});
