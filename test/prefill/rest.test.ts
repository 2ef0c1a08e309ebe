import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub.js';
import { prepareCity } from './support.js';

let hub: TestHub;
let subject: string;
const LIMIT = 30;
const one = async <T = Record<string, any>>(text: string, params: unknown[] = []) => (await hub.owner.pool.query(text, params)).rows[0] as T;
const last = () => one(`select department, system, purpose, case_number, outcome, subjects from audit_entry order by seq desc limit 1`);

beforeAll(async () => {
  hub = await startTestHub({ HUITONG_RATE_LIMIT_PER_MINUTE: String(LIMIT) });
  await prepareCity(hub, 800);
  subject = (await one(`select id_number as id from person where valid_to is null and relation_to_head = 'head' limit 1`)).id;
}, 120_000);
afterAll(() => hub?.close());

const civil = (system = 'dibao-workflow') => hub.as('civil-affairs', { system, purpose: 'low-income-verification', caseNumber: 'DB-REST-1' });
const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${hub.url}/rest${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
};
const FIELD = 'name title type value status locked editable needsApplicant certificate reasons source { resource department system asOf recordVersion resourceVersion records { system version fetchedAt resourceVersion } }';

describe('REST for workflow systems', () => {
  test('a prefill over REST answers the same as over GraphQL', async () => {
    const rest = await post('/forms/low-income-assistance/prefill', { subject }, await civil().headers());
    expect(rest.status).toBe(200);
    const gql = await civil().query(`query ($s: String!) { prefillForm(form: "low-income-assistance", subject: $s) { form version name subject subjectFound purpose caseNumber certificatesReplaced certificatesRequired fields { ${FIELD} } } }`, { s: subject });
    const { seal, preparedAt, ...body } = rest.body;
    expect(seal).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(Date.parse(preparedAt)).toBeGreaterThan(0);
    expect(body).toEqual(gql.data.prefillForm);
    expect(await last()).toMatchObject({ department: 'civil-affairs', system: 'dibao-workflow', purpose: 'low-income-verification', case_number: 'DB-REST-1', outcome: 'ok', subjects: expect.arrayContaining([subject]) });
  });

  test('without a token it is refused (401), and the refusal is audited', async () => {
    const res = await post('/forms/low-income-assistance/prefill', { subject }, { 'x-purpose': 'low-income-verification', 'x-case-number': 'DB-REST-2' });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
    expect(await last()).toMatchObject({ outcome: expect.stringMatching(/^refused:UNAUTHENTICATED/) });
  });

  test('without a purpose it is refused (403 PURPOSE_REQUIRED), and the refusal is audited', async () => {
    const { authorization } = await hub.as('civil-affairs', { system: 'no-purpose' }).headers();
    const res = await post('/forms/low-income-assistance/prefill', { subject }, { authorization });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('PURPOSE_REQUIRED');
    expect(await last()).toMatchObject({ department: 'civil-affairs', system: 'no-purpose', outcome: expect.stringMatching(/PURPOSE_REQUIRED/) });
  });

  test('verify and re-check over REST; values may be sent by field name', async () => {
    const headers = await civil('verify-system').headers();
    const prefilled = await post('/forms/low-income-assistance/prefill', { subject }, headers);
    const values = Object.fromEntries(prefilled.body.fields.map((f: { name: string; value: unknown }) => [f.name, f.value]));
    const intact = await post('/prefill/verify', { seal: prefilled.body.seal, submitted: values }, headers);
    expect(intact).toMatchObject({ status: 200, body: { valid: true, intact: true, changed: [], missing: [] } });
    const tampered = await post('/prefill/verify', { seal: prefilled.body.seal, submitted: { ...values, applicantName: '王五' } }, headers);
    expect(tampered.body).toMatchObject({ valid: true, intact: false, changed: ['applicantName'] });
    const recheck = await post('/prefill/recheck', { seal: prefilled.body.seal }, headers);
    expect(recheck).toMatchObject({ status: 200, body: { subject, changed: [] } });
    const badSeal = await post('/prefill/recheck', { seal: 'not.a.seal' }, headers);
    expect(badSeal).toMatchObject({ status: 400, body: { error: { code: 'BAD_USER_INPUT', argument: 'seal' } } });
  });

  test('the same rate limit applies: past it, 429 with Retry-After', async () => {
    const headers = await civil('busy-system').headers();
    let res = await post('/forms/low-income-assistance/prefill', { subject }, headers);
    for (let i = 0; i < LIMIT && res.status === 200; i++) res = await post('/forms/low-income-assistance/prefill', { subject }, headers);
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('RATE_LIMITED');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  test('an OpenAPI document describes the routes; unknown routes and bad bodies are told apart', async () => {
    const doc = (await (await fetch(`${hub.url}/rest/openapi.json`)).json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/forms', '/forms/{form}/prefill', '/prefill/recheck', '/prefill/verify']);
    expect(doc.paths['/forms/{form}/prefill'].post.operationId).toBe('prefillForm');
    const forms = await fetch(`${hub.url}/rest/forms`, { headers: await civil('lister').headers() });
    expect(forms.status).toBe(200);
    expect(((await forms.json()) as { code: string }[]).map((f) => f.code)).toContain('school-enrolment');
    const missing = await post('/forms/low-income-assistance/fill', { subject }, await civil('lister').headers());
    expect(missing.status).toBe(404);
    const notJson = await fetch(`${hub.url}/rest/prefill/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(notJson.status).toBe(400);
  });
});
