import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestHub, type GraphQLResponse, type TestHub } from '../support/hub.js';
import { CITIZENS, citizenDeclaration, citizenSchema } from '../support/citizens.js';

/** A last day within the longest grant (36 months by default). */
const UNTIL = `${new Date().getFullYear() + 2}-12-31`;

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({}, { schema: citizenSchema() });
});
afterAll(() => hub?.close());

const [zhang] = CITIZENS;
const admin = () => hub.as('data-bureau', { roles: ['catalog-admin'] });
const consumer = (purpose = 'low-income-verification') => hub.as('civil-affairs', { roles: ['consumer'], purpose, caseNumber: 'YZ-2026-0001' });
const provider = () => hub.as('public-security', { roles: ['provider'], purpose: 'household-registration' });

const CITIZEN = `query($id: String!) { citizen(idNumber: $id) { idNumber name mobile birthDate disability district division { code } } }`;
const RESOURCE = `code version retired name sharing { type } items { name sensitivity mask }`;
const register = (resource: unknown, reason = 'test resource') =>
  admin().query(`mutation($r: ResourceInput!, $why: String!) { registerResource(resource: $r, reason: $why) { ${RESOURCE} } }`, { r: resource, why: reason });
const REQUEST = `id status fields dueOn overdue consumer grant { id fields { name level } validUntil revokedAt } events { kind actor reason }`;

describe('registration through GraphQL', () => {
  test('a catalogue administrator registers a resource, and only a catalogue administrator may', async () => {
    const refused = await hub.as('civil-affairs', { roles: ['consumer'] }).query(
      `mutation($r: ResourceInput!) { registerResource(resource: $r, reason: "x") { code } }`,
      { r: citizenDeclaration() },
    );
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const res = await register(citizenDeclaration());
    expect(res.errors).toBeUndefined();
    expect(res.data.registerResource).toMatchObject({ code: 'test.citizen', version: 1, retired: false, sharing: { type: 'conditional' } });
  });

  test('a bad declaration is refused with every problem listed and nothing stored', async () => {
    const bad = citizenDeclaration({ code: 'test.bad', provider: 'nobody', publishedAt: 'yesterday', recordSchema: 'schemas/records/missing.json' });
    const res = await register(bad);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'resource' });
    const problems = res.errors?.[0].extensions?.problems as { path: string; message: string }[];
    expect(problems.map((p) => p.path).sort()).toEqual(['publishedAt']);
    const fixedDate = await register({ ...bad, publishedAt: '2026-11-24' });
    expect((fixedDate.errors?.[0].extensions?.problems as { path: string }[]).map((p) => p.path)).toEqual(['provider', 'recordSchema']);
    const found = await admin().query(`{ catalogResource(code: "test.bad") { code } }`);
    expect(found.data.catalogResource).toBeNull();
  });

  test('registering a code twice is refused: a change goes through updateResource', async () => {
    const res = await register(citizenDeclaration());
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('discovery', () => {
  const find = (args: string) => admin().query(`{ catalogResources(${args}) { totalCount edges { node { code } } pageInfo { hasNextPage endCursor } } }`);
  const codes = (res: GraphQLResponse) => res.data.catalogResources.edges.map((e: { node: { code: string } }) => e.node.code);

  // Other resources (the base libraries' declarations) may be registered too: assert what must and must not be found.
  test('finds resources by Chinese or English words in names, summaries and data items', async () => {
    expect(codes(await find(`search: "测试公民"`))).toEqual(['test.citizen']);
    expect(codes(await find(`search: "残疾类别"`))).toEqual(['test.citizen']);
    expect(codes(await find(`search: "test citizens mobile"`))).toEqual(['test.citizen']);
    expect(codes(await find(`search: "手机号码"`))).toContain('test.citizen');
    expect(codes(await find(`search: "统计用区划代码"`))).toEqual(['spatial.division']);
    expect(codes(await find(`search: "nothing-like-this"`))).toEqual([]);
  });

  test('filters by provider, class, sharing type and sensitivity, and pages', async () => {
    const civilAffairs = codes(await find(`first: 100, filter: { provider: "civil-affairs" }`));
    expect(civilAffairs).toContain('spatial.division');
    expect(civilAffairs).not.toContain('test.citizen');
    const conditional = codes(await find(`first: 100, filter: { sharingType: conditional }`));
    expect(conditional).toContain('test.citizen');
    expect(conditional).not.toContain('spatial.division');
    const sensitive = codes(await find(`first: 100, filter: { sensitivity: sensitive, class: base }`));
    expect(sensitive).toContain('test.citizen');
    expect(sensitive).not.toContain('spatial.division');
    expect(codes(await find(`filter: { provider: "public-security", class: theme }`))).toEqual([]);

    const all = await find(`first: 100`);
    const total = all.data.catalogResources.totalCount;
    expect(total).toBeGreaterThanOrEqual(2);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < total; page++) {
      const res: GraphQLResponse = await find(`first: 1${after ? `, after: "${after}"` : ''}`);
      seen.push(...codes(res));
      after = res.data.catalogResources.pageInfo.endCursor;
      expect(res.data.catalogResources.pageInfo.hasNextPage).toBe(page < total - 1);
    }
    expect(seen.sort()).toEqual(codes(all).sort());
  });

  test('the public part of the catalogue is served as DCAT-AP JSON-LD', async () => {
    const res = await fetch(`${hub.url}/catalog/dcat.jsonld`);
    expect(res.headers.get('content-type')).toContain('application/ld+json');
    const body = (await res.json()) as { '@type': string; 'dcat:dataset': { 'dct:identifier': string; 'dct:accessRights': { '@id': string } }[] };
    expect(body['@type']).toBe('dcat:Catalog');
    const byCode = Object.fromEntries(body['dcat:dataset'].map((d) => [d['dct:identifier'], d]));
    expect(byCode['spatial.division']['dct:accessRights']['@id']).toMatch(/PUBLIC$/);
    expect(byCode['test.citizen']['dct:accessRights']['@id']).toMatch(/RESTRICTED$/);
  });
});

describe('a request, its approval and its revocation', () => {
  let requestId: string;
  let grantId: string;

  test('without a grant a consumer sees personal fields masked or withheld, and is told which', async () => {
    const res = await consumer().query(CITIZEN.replace('query(', 'query Ungranted('), { id: zhang.idNumber });
    expect(res.errors).toBeUndefined();
    expect(res.data.citizen).toEqual({
      idNumber: '431102********0211',
      name: '张*',
      mobile: '138****5678',
      birthDate: null,
      disability: null,
      district: '零陵区',
      division: { code: '431102' },
    });
    expect(res.extensions?.access).toEqual({
      masked: [
        { path: ['citizen', 'idNumber'], rule: 'id-number' },
        { path: ['citizen', 'name'], rule: 'name' },
        { path: ['citizen', 'mobile'], rule: 'mobile' },
      ],
      withheld: [
        { path: ['citizen', 'birthDate'], reason: 'no-grant' },
        { path: ['citizen', 'disability'], reason: 'sensitive' },
      ],
    });
    // The audit entry names the fields that left the hub, masked ones included, withheld ones not.
    const { rows } = await hub.db.pool.query(`select resources from audit_entry where operation_name = 'Ungranted'`);
    expect(rows[0].resources).toContainEqual({
      resource: 'test.citizen',
      fields: ['arg:idNumber', 'district', 'division', 'idNumber', 'mobile', 'name'],
      subjects: [zhang.idNumber],
    });
  });

  test('the provider department sees its own resource in clear', async () => {
    const res = await provider().query(CITIZEN, { id: zhang.idNumber });
    expect(res.data.citizen).toMatchObject({ idNumber: zhang.idNumber, name: zhang.name, birthDate: zhang.birthDate, disability: zhang.disability });
    // A provider-only token reads its own department's data and nothing else (README: who may read with which role).
    expect(res.extensions?.access).toEqual({ masked: [], withheld: [{ path: ['citizen', 'division', 'code'], reason: 'not-shared' }] });
  });

  test('a consumer requests fields for a purpose and period; the request is due in 10 working days', async () => {
    const res = await hub.as('civil-affairs', { roles: ['consumer'] }).query(
      `mutation($r: AccessRequestInput!) { requestAccess(request: $r) { ${REQUEST} } }`,
      { r: { resource: 'test.citizen', fields: ['idNumber', 'name', 'birthDate', 'disability'], purpose: 'low-income-verification', legalBasis: '社会救助暂行办法 第十一条', validUntil: UNTIL } },
    );
    expect(res.errors).toBeUndefined();
    const request = res.data.requestAccess;
    expect(request).toMatchObject({ status: 'pending', overdue: false, consumer: 'civil-affairs', grant: null });
    expect(request.events).toEqual([{ kind: 'requested', actor: 'civil-affairs/civil-affairs-system', reason: '社会救助暂行办法 第十一条' }]);
    expect(new Date(request.dueOn).getTime() - Date.now()).toBeGreaterThan(11 * 86_400_000);
    requestId = request.id;
  });

  test('a request naming an unknown field or purpose is refused, naming the argument', async () => {
    const ask = (r: Record<string, unknown>) =>
      hub.as('civil-affairs', { roles: ['consumer'] }).query(`mutation($r: AccessRequestInput!) { requestAccess(request: $r) { id } }`, {
        r: { resource: 'test.citizen', fields: ['idNumber'], purpose: 'low-income-verification', legalBasis: 'x', validUntil: UNTIL, ...r },
      });
    expect((await ask({ fields: ['shoeSize'] })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'fields' });
    expect((await ask({ purpose: 'curiosity' })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'purpose' });
    expect((await ask({ validUntil: '2020-01-01' })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'validUntil' });
    expect((await ask({ resource: 'spatial.division', fields: ['name'] })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'resource' });
  });

  test('only the provider department may decide', async () => {
    const approve = `mutation($id: ID!) { approveAccessRequest(id: $id) { id } }`;
    expect((await hub.as('civil-affairs', { roles: ['consumer'] }).query(approve, { id: requestId })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await hub.as('tax', { roles: ['provider'] }).query(approve, { id: requestId })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  test('the provider approves narrowing the fields; the consumer then sees exactly what was granted', async () => {
    const res = await hub.as('public-security', { roles: ['provider'] }).query(
      `mutation($id: ID!) { approveAccessRequest(id: $id, fields: ["idNumber", "name", "birthDate"], maskedFields: ["name"], reason: "核对需要") { ${REQUEST} } }`,
      { id: requestId },
    );
    expect(res.errors).toBeUndefined();
    const approved = res.data.approveAccessRequest;
    expect(approved.status).toBe('approved');
    expect(approved.grant.fields).toEqual([
      { name: 'birthDate', level: 'clear' },
      { name: 'idNumber', level: 'clear' },
      { name: 'name', level: 'masked' },
    ]);
    expect(approved.events.map((e: { kind: string }) => e.kind)).toEqual(['requested', 'approved']);
    grantId = approved.grant.id;

    const seen = await consumer().query(CITIZEN, { id: zhang.idNumber });
    expect(seen.data.citizen).toMatchObject({ idNumber: zhang.idNumber, name: '张*', mobile: '138****5678', birthDate: zhang.birthDate, disability: null });
    expect(seen.extensions?.access).toEqual({
      masked: [
        { path: ['citizen', 'name'], rule: 'name' },
        { path: ['citizen', 'mobile'], rule: 'mobile' },
      ],
      withheld: [{ path: ['citizen', 'disability'], reason: 'sensitive' }],
    });
  });

  test('the grant serves its purpose only, and its department only', async () => {
    const other = await consumer('social-assistance').query(CITIZEN, { id: zhang.idNumber });
    expect(other.data.citizen).toMatchObject({ idNumber: '431102********0211', birthDate: null });
    const statistics = await hub.as('statistics', { purpose: 'low-income-verification' }).query(CITIZEN, { id: zhang.idNumber });
    expect(statistics.data.citizen).toMatchObject({ idNumber: '431102********0211', birthDate: null });
  });

  test('a decided request cannot be decided again', async () => {
    const res = await hub.as('public-security', { roles: ['provider'] }).query(`mutation($id: ID!) { rejectAccessRequest(id: $id, reason: "no") { id } }`, { id: requestId });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'id' });
  });

  test('revoking the grant takes effect at once', async () => {
    const res = await hub.as('public-security', { roles: ['provider'] }).query(
      `mutation RevokeGrant($id: ID!) { revokeGrant(id: $id, reason: "核对完成") { id revokedAt revokedBy revokeReason } }`,
      { id: grantId },
    );
    expect(res.data.revokeGrant).toMatchObject({ revokedBy: 'public-security/public-security-system', revokeReason: '核对完成' });
    // The change is in the audit trail too, beside the catalogue's own event record.
    // With its arguments and reason, so two revocations of different grants tell apart.
    const { rows } = await hub.db.pool.query(`select department, system, outcome, change from audit_entry where operation_name = 'revokeGrant'`);
    expect(rows).toEqual([
      { department: 'public-security', system: 'public-security-system', outcome: 'ok', change: { action: 'revokeGrant', arguments: { id: grantId, reason: '核对完成' }, reason: '核对完成', detail: null } },
    ]);
    const seen = await consumer().query(CITIZEN, { id: zhang.idNumber });
    expect(seen.data.citizen).toMatchObject({ idNumber: '431102********0211', birthDate: null });
    const request = await hub.as('civil-affairs').query(`query($id: ID!) { accessRequest(id: $id) { events { kind reason } } }`, { id: requestId });
    expect(request.data.accessRequest.events).toEqual([
      { kind: 'requested', reason: '社会救助暂行办法 第十一条' },
      { kind: 'approved', reason: '核对需要' },
      { kind: 'revoked', reason: '核对完成' },
    ]);
  });

  test('a provider rejects with a reason; without one it is refused', async () => {
    const ask = await hub.as('hrss', { roles: ['consumer'] }).query(
      `mutation($r: AccessRequestInput!) { requestAccess(request: $r) { id } }`,
      { r: { resource: 'test.citizen', fields: ['mobile'], purpose: 'social-assistance', legalBasis: '社会救助暂行办法', validUntil: UNTIL } },
    );
    const id = ask.data.requestAccess.id;
    const decide = (reason: string) =>
      hub.as('public-security', { roles: ['provider'] }).query(`mutation($id: ID!, $why: String!) { rejectAccessRequest(id: $id, reason: $why) { status events { kind reason } } }`, { id, why: reason });
    expect((await decide('  ')).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'reason' });
    expect((await decide('手机号码不在共享范围')).data.rejectAccessRequest).toMatchObject({ status: 'rejected', events: [{ kind: 'requested' }, { kind: 'rejected', reason: '手机号码不在共享范围' }] });
  });

  test('a request left undecided past its due day shows as overdue', async () => {
    const ask = await hub.as('health', { roles: ['consumer'] }).query(
      `mutation($r: AccessRequestInput!) { requestAccess(request: $r) { id overdue } }`,
      { r: { resource: 'test.citizen', fields: ['name'], purpose: 'social-assistance', legalBasis: '社会救助暂行办法', validUntil: UNTIL } },
    );
    expect(ask.data.requestAccess.overdue).toBe(false);
    // Made three weeks ago: the clock is the one thing a test may not wait for.
    await hub.db.pool.query(`update access_request set requested_at = now() - interval '21 days', due_on = current_date - 5 where id = $1`, [ask.data.requestAccess.id]);
    const overdue = await hub.as('public-security', { roles: ['provider'] }).query(`{ accessRequests(overdue: true) { id consumer overdue } }`);
    expect(overdue.data.accessRequests).toEqual([{ id: ask.data.requestAccess.id, consumer: 'health', overdue: true }]);
  });
});

describe('change and retirement', () => {
  test('an update makes a new version with who, when, why and a field-level diff', async () => {
    const items = citizenDeclaration().items.map((i) => (i.name === 'district' ? { ...i, sensitivity: 'internal' } : i));
    const res = await admin().query(`mutation($r: ResourceInput!) { updateResource(resource: $r, reason: "区县属内部信息") { version } }`, {
      r: citizenDeclaration({ items }),
    });
    expect(res.data.updateResource.version).toBe(2);
    const history = await admin().query(`{ resourceHistory(code: "test.citizen") { version change changedBy reason changedAt diff { path before after } } }`);
    const [latest, first] = history.data.resourceHistory;
    expect(latest).toMatchObject({
      version: 2,
      change: 'updated',
      changedBy: 'data-bureau/data-bureau-system',
      reason: '区县属内部信息',
      diff: [{ path: 'items[district].sensitivity', before: '"public"', after: '"internal"' }],
    });
    expect(first).toMatchObject({ version: 1, change: 'registered', reason: 'test resource' });
    expect(Date.now() - Date.parse(latest.changedAt)).toBeLessThan(60_000);

    const seen = await consumer().query(CITIZEN, { id: zhang.idNumber });
    expect(seen.data.citizen.district).toBeNull();
  });

  test('a retired resource leaves discovery and its values are withheld', async () => {
    const res = await admin().query(`mutation { retireResource(code: "test.citizen", reason: "测试结束") { version retired } }`);
    expect(res.data.retireResource).toEqual({ version: 3, retired: true });
    const found = await admin().query(`{ catalogResources(search: "测试公民") { totalCount } all: catalogResources(search: "测试公民", filter: { includeRetired: true }) { totalCount } }`);
    expect(found.data).toEqual({ catalogResources: { totalCount: 0 }, all: { totalCount: 1 } });
    const seen = await consumer().query(CITIZEN, { id: zhang.idNumber });
    expect(seen.errors).toBeUndefined();
    expect(seen.data.citizen).toMatchObject({ idNumber: null, name: null, district: null });
    expect(seen.extensions?.access).toMatchObject({ withheld: expect.arrayContaining([{ path: ['citizen', 'idNumber'], reason: 'not-catalogued' }]) });
  });
});

test('a file sync leaves a retired resource retired; updateResource reinstates it as a new version', async () => {
  const res = await admin().query(`mutation($r: ResourceInput!) { updateResource(resource: $r, reason: "重新启用") { version retired } }`, { r: citizenDeclaration() });
  expect(res.data.updateResource).toEqual({ version: 4, retired: false });
  const history = await admin().query(`{ resourceHistory(code: "test.citizen") { version change resource { retired } } }`);
  expect(history.data.resourceHistory).toEqual([
    { version: 4, change: 'reinstated', resource: { retired: false } },
    { version: 3, change: 'retired', resource: { retired: true } },
    { version: 2, change: 'updated', resource: { retired: false } },
    { version: 1, change: 'registered', resource: { retired: false } },
  ]);
  const seen = await consumer().query(CITIZEN, { id: zhang.idNumber });
  expect(seen.data.citizen).toMatchObject({ idNumber: '431102********0211', district: '零陵区' });
});
