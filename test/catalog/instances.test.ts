import { afterAll, beforeAll, expect, test } from 'vitest';
import { LISTENER_NAME } from '../../src/catalog/state.js';
import { createLogger } from '../../src/log.js';
import { serveHub, type RunningHub } from '../../src/main.js';
import { CITIZENS, citizenDeclaration, citizenSchema } from '../support/citizens.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/** A last day within the longest grant (36 months by default). */
const UNTIL = `${new Date().getFullYear() + 2}-12-31`;

/** Two hub instances on one database, as behind a load balancer. */
let first: TestHub;
let second: RunningHub;
beforeAll(async () => {
  first = await startTestHub({}, { schema: citizenSchema() });
  second = await serveHub({ ...first.config, port: 0 }, createLogger('silent'), first.db, { schema: citizenSchema() });
});
afterAll(async () => {
  await second?.close();
  await first?.close();
});

const [zhang] = CITIZENS;
const CITIZEN = `query($id: String!) { citizen(idNumber: $id) { idNumber birthDate } }`;

/** The civil-affairs consumer's view through the second instance. */
async function seenOnSecond(): Promise<{ idNumber: string | null; birthDate: string | null }> {
  const headers = await first.as('civil-affairs', { purpose: 'low-income-verification' }).headers();
  const res = await fetch(`${second.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: CITIZEN, variables: { id: zhang.idNumber } }),
  });
  return ((await res.json()) as { data: { citizen: { idNumber: string | null; birthDate: string | null } } }).data.citizen;
}

async function eventually<T>(read: () => Promise<T>, wanted: T): Promise<T> {
  const deadline = Date.now() + 5000;
  let value = await read();
  while (JSON.stringify(value) !== JSON.stringify(wanted) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  return value;
}

const CLEAR = { idNumber: zhang.idNumber, birthDate: zhang.birthDate };
const MASKED = { idNumber: '431102********0211', birthDate: null };

test('a resource registered, a grant approved and a grant revoked through one instance take effect on the other', async () => {
  const admin = first.as('data-bureau', { roles: ['catalog-admin'] });
  await admin.query(`mutation($r: ResourceInput!) { registerResource(resource: $r, reason: "test") { code } }`, { r: citizenDeclaration() });
  expect(await eventually(seenOnSecond, MASKED)).toEqual(MASKED);

  const asked = await first.as('civil-affairs').query(`mutation($r: AccessRequestInput!) { requestAccess(request: $r) { id } }`, {
    r: { resource: 'test.citizen', fields: ['idNumber', 'birthDate'], purpose: 'low-income-verification', legalBasis: '社会救助暂行办法', validUntil: UNTIL },
  });
  const approved = await first
    .as('public-security', { roles: ['provider'] })
    .query(`mutation($id: ID!) { approveAccessRequest(id: $id, reason: "核对需要") { grant { id } } }`, { id: asked.data.requestAccess.id });
  expect(await eventually(seenOnSecond, CLEAR)).toEqual(CLEAR);

  // Even a listener cut off from the database catches up: it reconnects and reloads.
  await first.db.pool.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and datname = current_database()', [LISTENER_NAME]);
  await first
    .as('public-security', { roles: ['provider'] })
    .query(`mutation($id: ID!) { revokeGrant(id: $id, reason: "done") { id } }`, { id: approved.data.approveAccessRequest.grant.id });
  expect(await eventually(seenOnSecond, MASKED)).toEqual(MASKED);
});
