import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROLES, type Role } from '../../src/access/index.js';
import { SHEET_ITEM_COLUMNS, SHEET_RESOURCE_COLUMNS } from '../../src/catalog/index.js';
import { datasetContext, datasetSpec, SimDataset, startRestSimulator, type RestSimulator } from '../../src/simulate/departments/index.js';
import { citizenDeclaration, citizenSchema } from '../support/citizens.js';
import { startTestHub, type GraphQLResponse, type TestHub } from '../support/hub.js';

/**
 * Every mutation of the schema × every role × the caller's department: the operator (data-bureau),
 * the department the target belongs to ("own": the resource's provider, the proposal's author), or
 * another. Each cell is allowed or refused as the README says; a new mutation without a row here fails.
 */

let hub: TestHub;
let simulator: RestSimulator;
beforeAll(async () => {
  hub = await startTestHub({}, { schema: citizenSchema() });
  // A simulated department system whose switches the exchange's mutation may change.
  simulator = await startRestSimulator(new SimDataset('tax-income', datasetSpec('tax-income'), datasetContext([{ code: '431102001001', countyCode: '431102' }]), 10));
  hub.services.exchange!.simulators.set('tax-income', simulator);
});
afterAll(async () => {
  await hub?.close();
  await simulator?.close();
});

type Position = 'operator' | 'own' | 'other';
const DEPARTMENT: Record<Position, string> = { operator: 'data-bureau', own: 'public-security', other: 'tax' };
const UNTIL = `${new Date().getFullYear() + 2}-12-31`;
let serial = 0;

const operator = () => hub.as('data-bureau', { roles: ['catalog-admin'] });
const ok = (res: GraphQLResponse) => {
  expect(res.errors).toBeUndefined();
  return res.data;
};
async function resource(): Promise<string> {
  const code = `test.matrix-${(serial += 1)}`;
  ok(await operator().query(`mutation($r: ResourceInput!) { registerResource(resource: $r, reason: "matrix") { code } }`, { r: citizenDeclaration({ code }) }));
  return code;
}
async function request(code: string): Promise<string> {
  const asked = await hub.as('civil-affairs').query(`mutation($r: AccessRequestInput!) { requestAccess(request: $r) { id } }`, {
    r: { resource: code, fields: ['idNumber'], purpose: 'low-income-verification', legalBasis: '社会救助暂行办法', validUntil: UNTIL },
  });
  return ok(asked).requestAccess.id;
}
async function proposal(code: string): Promise<string> {
  const proposed = await hub.as('public-security', { roles: ['provider'] }).query(`mutation($r: ResourceInput!) { proposeResourceChange(resource: $r, reason: "更正") { id } }`, {
    r: citizenDeclaration({ code, summary: '更正后的摘要 corrected summary' }),
  });
  return ok(proposed).proposeResourceChange.id;
}

interface Case {
  /** Builds a fresh target and returns the mutation's variables. */
  setup(): Promise<Record<string, unknown>>;
  document: string;
  allowed(role: Role, position: Position): boolean;
  /** Purpose the caller states (X-Purpose, with a case number). (Default: none) */
  purpose?: string;
}

const operatorAdmin = (role: Role, position: Position) => role === 'catalog-admin' && position === 'operator';
/** The exchange is run by the operator's platform administrators alone. */
const platformAdmin = (role: Role, position: Position) => role === 'platform-admin' && position === 'operator';

/** A record in quarantine, as a run would leave it: a tax record whose amount did not parse. */
async function quarantined(): Promise<string> {
  const { rows: run } = await hub.owner.pool.query(`insert into sync_run (connector, started_by, state) values ('tax-income', 'matrix', 'failed') returning id`);
  const payload = { nsrsbh: '431102198503120211', ssq: '2025-03', sdxm: 'wages', sre: 'n/a', ynse: 12.5, kjywr: null, gxsj: '2026-01-01T00:00:00.000Z', serial: (serial += 1) };
  const { rows } = await hub.owner.pool.query(
    `insert into quarantine_record (connector, run_id, resource_code, resource_version, source_key, step, errors, payload, fetched_at)
     values ('tax-income', $1, 'tax.income', '1', $2, 'mapping', '["taxableIncome: not a number"]', $3, now()) returning id::text`,
    [run[0].id, `431102198503120211|2025-03|wages`, JSON.stringify(payload)],
  );
  return rows[0].id;
}
const fixed = (id: string) => async () => {
  const { rows } = await hub.owner.pool.query('select payload from quarantine_record where id = $1', [id]);
  return { id, p: JSON.stringify({ ...rows[0].payload, sre: 1000 + serial }) };
};

/** A one-row catalogue sheet (CSV, base64) registering a fresh resource of public-security. */
function sheet(): string {
  const code = `test.sheet-${(serial += 1)}`;
  const cells: Record<string, string> = {
    code, name: '表格导入', nameEn: 'Sheet import', summary: '表格导入的资源 a resource imported from a sheet', provider: 'public-security',
    class: 'department', category: '人口', graphqlType: 'Citizen', sharingType: 'unconditional', sharingMethods: 'query', open: '否',
    updateCycle: 'monthly', publishedAt: '2026-11-24', recordSchema: 'schemas/records/population.person.json',
    itemName: 'district', itemTitle: '所在区县', itemType: 'string', itemDescription: 'County', sensitivity: 'public', identifiesPerson: 'no',
  };
  const header = [...SHEET_RESOURCE_COLUMNS, ...SHEET_ITEM_COLUMNS];
  return Buffer.from(`${header.join(',')}\n${header.map((h) => cells[h] ?? '').join(',')}\n`).toString('base64');
}

const CASES: Record<string, Case> = {
  registerResource: {
    setup: async () => ({ r: citizenDeclaration({ code: `test.matrix-${(serial += 1)}` }) }),
    document: `mutation($r: ResourceInput!) { registerResource(resource: $r, reason: "matrix") { code } }`,
    allowed: operatorAdmin,
  },
  updateResource: {
    setup: async () => ({ r: citizenDeclaration({ code: await resource(), summary: '新摘要 new summary' }) }),
    document: `mutation($r: ResourceInput!) { updateResource(resource: $r, reason: "matrix") { code } }`,
    allowed: operatorAdmin,
  },
  retireResource: {
    setup: async () => ({ code: await resource() }),
    document: `mutation($code: ID!) { retireResource(code: $code, reason: "matrix") { code } }`,
    allowed: operatorAdmin,
  },
  proposeResourceChange: {
    setup: async () => ({ r: citizenDeclaration({ code: await resource(), summary: '提议 proposed' }) }),
    document: `mutation($r: ResourceInput!) { proposeResourceChange(resource: $r, reason: "matrix") { id } }`,
    allowed: (role, position) => (role === 'provider' || role === 'catalog-admin') && position === 'own',
  },
  approveResourceProposal: {
    setup: async () => ({ id: await proposal(await resource()) }),
    document: `mutation($id: ID!) { approveResourceProposal(id: $id, reason: "matrix") { id } }`,
    allowed: operatorAdmin,
  },
  rejectResourceProposal: {
    setup: async () => ({ id: await proposal(await resource()) }),
    document: `mutation($id: ID!) { rejectResourceProposal(id: $id, reason: "matrix") { id } }`,
    allowed: operatorAdmin,
  },
  requestAccess: {
    setup: async () => ({ r: { resource: await resource(), fields: ['idNumber'], purpose: 'low-income-verification', legalBasis: '社会救助暂行办法', validUntil: UNTIL } }),
    document: `mutation($r: AccessRequestInput!) { requestAccess(request: $r) { id } }`,
    // The provider needs no grant on its own resource.
    allowed: (role, position) => role === 'consumer' && position !== 'own',
  },
  approveAccessRequest: {
    setup: async () => ({ id: await request(await resource()) }),
    document: `mutation($id: ID!) { approveAccessRequest(id: $id, reason: "matrix") { id } }`,
    allowed: (role, position) => role === 'provider' && position === 'own',
  },
  rejectAccessRequest: {
    setup: async () => ({ id: await request(await resource()) }),
    document: `mutation($id: ID!) { rejectAccessRequest(id: $id, reason: "matrix") { id } }`,
    allowed: (role, position) => role === 'provider' && position === 'own',
  },
  importCatalogSheet: {
    setup: async () => ({ sheet: sheet() }),
    document: `mutation($sheet: String!) { importCatalogSheet(sheet: $sheet, fileName: "catalog.csv", dryRun: false, reason: "matrix") { stored } }`,
    allowed: operatorAdmin,
  },
  revokeGrant: {
    setup: async () => {
      const id = await request(await resource());
      const approved = await hub.as('public-security', { roles: ['provider'] }).query(`mutation($id: ID!) { approveAccessRequest(id: $id, reason: "同意") { grant { id } } }`, { id });
      return { id: ok(approved).approveAccessRequest.grant.id };
    },
    document: `mutation($id: ID!) { revokeGrant(id: $id, reason: "matrix") { id } }`,
    allowed: (role, position) => (role === 'provider' && position === 'own') || operatorAdmin(role, position),
  },
  // Verification runs for civil affairs (the scheme's provider) or a department granted
  // `verification.low-income`; none of the matrix's departments is either. Data operations are
  // entered under their operation's name, so these documents name theirs.
  verifyHousehold: {
    setup: async () => ({ a: '431102198503120211', m: [] }),
    document: `mutation verifyHousehold($a: String!, $m: [String!]!) { verifyHousehold(applicant: $a, declaredMembers: $m) { reference } }`,
    allowed: () => false,
    purpose: 'low-income-verification',
  },
  startVerificationBatch: {
    setup: async () => ({ h: [{ applicant: '431102198503120211', declaredMembers: [] }] }),
    document: `mutation startVerificationBatch($h: [BatchHouseholdInput!]) { startVerificationBatch(name: "matrix", households: $h) { id } }`,
    allowed: () => false,
    purpose: 'low-income-verification',
  },
  pauseVerificationBatch: {
    setup: async () => ({ id: '1' }),
    document: `mutation pauseVerificationBatch($id: ID!) { pauseVerificationBatch(id: $id) { id } }`,
    allowed: () => false,
    purpose: 'low-income-verification',
  },
  resumeVerificationBatch: {
    setup: async () => ({ id: '1' }),
    document: `mutation resumeVerificationBatch($id: ID!) { resumeVerificationBatch(id: $id) { id } }`,
    allowed: () => false,
    purpose: 'low-income-verification',
  },
  startSync: {
    // Its source is not configured in this hub: the run starts, is recorded, and fails on its own.
    setup: async () => ({ c: 'provident-fund' }),
    document: `mutation($c: ID!) { startSync(connector: $c, reason: "matrix") { id } }`,
    allowed: platformAdmin,
  },
  replayQuarantined: {
    setup: async () => fixed(await quarantined())(),
    document: `mutation($id: ID!, $p: String) { replayQuarantined(id: $id, payload: $p, reason: "matrix") { applied } }`,
    allowed: platformAdmin,
  },
  discardQuarantined: {
    setup: async () => ({ id: await quarantined() }),
    document: `mutation($id: ID!) { discardQuarantined(id: $id, reason: "matrix") { id } }`,
    allowed: platformAdmin,
  },
  setSimulatorSwitches: {
    setup: async () => ({ s: JSON.stringify({ latencyMs: serial++ % 3 }) }),
    document: `mutation($s: String!) { setSimulatorSwitches(system: "tax-income", switches: $s, reason: "matrix") { system } }`,
    allowed: platformAdmin,
  },
};

const mutations = Object.keys(citizenSchema().getMutationType()!.getFields()).sort();

test('every mutation of the schema has a row in the matrix', () => {
  expect(Object.keys(CASES).sort()).toEqual(mutations);
});

describe.each(mutations)('%s', (mutation) => {
  const cells = ROLES.flatMap((role) => (['operator', 'own', 'other'] as Position[]).map((position) => ({ role, position })));
  test.each(cells)('$role of $position department', async ({ role, position }) => {
    const c = CASES[mutation];
    if (!c) throw new Error(`${mutation} has no row in the matrix`);
    const variables = await c.setup();
    const recorded = async () =>
      (
        await hub.db.pool.query(`select outcome from audit_entry where operation_name = $1 and department = $2 and roles = $3 order by seq`, [
          mutation,
          DEPARTMENT[position],
          [role],
        ])
      ).rows.map((r) => r.outcome as string);
    const before = await recorded();
    const res = await hub.as(DEPARTMENT[position], { roles: [role], purpose: c.purpose }).query(c.document, variables);
    const after = await recorded();
    // Allowed or refused, the attempt is in the audit trail.
    expect(after.length).toBe(before.length + 1);
    if (c.allowed(role, position)) {
      expect(res.errors).toBeUndefined();
      expect(res.data?.[mutation]).toBeTruthy();
      expect(after.at(-1)).toBe('ok');
    } else {
      expect(res.data?.[mutation] ?? null).toBeNull();
      expect(['FORBIDDEN', 'NOT_FOUND', 'BAD_USER_INPUT']).toContain(res.errors?.[0].extensions?.code);
      expect(after.at(-1)).toMatch(/^(denied|failed):/);
    }
  });
});
