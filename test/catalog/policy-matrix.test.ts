import { afterAll, beforeAll, expect, test } from 'vitest';
import { applyDeclarations } from '../../src/catalog/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { CITIZENS, citizenDeclaration, citizenSchema, secretDeclaration } from '../support/citizens.js';

/**
 * Property: for every department × resource × field × grant state, no response carries a value in
 * clear that the policy does not allow, and every masked or withheld value is reported. The
 * expectations are written out here from the rules, not computed by the policy under test.
 */
type State = 'provider' | 'none' | 'clear' | 'masked' | 'partial' | 'expired' | 'revoked' | 'wrong-purpose';
const departments: Record<string, State> = {
  'public-security': 'provider',
  statistics: 'none',
  'civil-affairs': 'clear',
  hrss: 'masked',
  'disabled-federation': 'partial',
  tax: 'expired',
  health: 'revoked',
  'provident-fund': 'wrong-purpose',
};
const PURPOSE = 'low-income-verification';
const ITEMS = ['idNumber', 'name', 'mobile', 'birthDate', 'disability', 'district'] as const;
type Item = (typeof ITEMS)[number];
type Shown = 'clear' | 'masked' | 'withheld';

function expected(state: State, item: Item): Shown {
  if (state === 'provider' || item === 'district' || state === 'clear') return 'clear';
  if (state === 'partial' && (item === 'idNumber' || item === 'birthDate')) return 'clear';
  // Without a clear grant: display masks for the personal items that have one, the rest withheld.
  return item === 'idNumber' || item === 'name' || item === 'mobile' ? 'masked' : 'withheld';
}

const MASKED: Record<string, string> = {
  '431102198503120211': '431102********0211',
  '43112420010807046X': '431124********046X',
  张三: '张*',
  欧阳春花: '欧阳**',
  '13812345678': '138****5678',
  '13907461234': '139****1234',
};

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({}, { schema: citizenSchema() });
  const pool = hub.db.pool;
  await applyDeclarations(pool, [{ source: 'test', data: citizenDeclaration() }, { source: 'test', data: secretDeclaration() }], {
    actor: 'test',
    reason: 'matrix',
    trail: { log: hub.services.audit.log, actor: { department: 'data-bureau', system: 'test', roles: ['catalog-admin'] }, action: 'test', arguments: null },
  });
  const grant = async (consumer: string, fields: Record<string, string>, options: { purpose?: string; until?: string; revoked?: boolean } = {}) => {
    const { rows } = await pool.query<{ id: string }>(
      `insert into access_request (resource, consumer, fields, purpose, legal_basis, valid_from, valid_until, status, requested_by, due_on)
       values ('test.citizen', $1, $2, $3, 'test', '2026-01-01', $4, 'approved', 'test', current_date) returning id`,
      [consumer, Object.keys(fields), options.purpose ?? PURPOSE, options.until ?? '2099-12-31'],
    );
    await pool.query(
      `insert into access_grant (request_id, resource, consumer, purpose, fields, valid_from, valid_until, granted_by, revoked_at)
       values ($1, 'test.citizen', $2, $3, $4, '2026-01-01', $5, 'test', $6)`,
      [rows[0].id, consumer, options.purpose ?? PURPOSE, fields, options.until ?? '2099-12-31', options.revoked ? new Date() : null],
    );
  };
  const all = (level: string) => Object.fromEntries(ITEMS.map((i) => [i, level]));
  await grant('civil-affairs', all('clear'));
  await grant('hrss', all('masked'));
  await grant('disabled-federation', { idNumber: 'clear', birthDate: 'clear' });
  await grant('tax', all('clear'), { until: '2026-01-31' });
  await grant('health', all('clear'), { revoked: true });
  await grant('provident-fund', all('clear'), { purpose: 'housing-security' });
  // Changes made outside this instance reach it by NOTIFY, as they would from another hub instance.
  await pool.query(`select pg_notify('huitong_catalog', 'grants')`);
  const birthDateSeen = async () => (await hub.as('civil-affairs', { purpose: PURPOSE }).query(`{ citizens { birthDate } }`)).data?.citizens[0].birthDate;
  for (let tries = 0; (await birthDateSeen()) !== CITIZENS[0].birthDate; tries++) {
    if (tries > 50) throw new Error('the hub never saw the grants announced by NOTIFY');
    await new Promise((r) => setTimeout(r, 100));
  }
});
afterAll(() => hub?.close());

const QUERY = `{ citizens { ${ITEMS.join(' ')} } secret(id: "s-1") { id note } division(code: "431102") { code name } }`;

test.each(Object.entries(departments))('%s (grant: %s) never receives a value the policy denies in clear', async (department, state) => {
  const res = await hub.as(department, { purpose: PURPOSE }).query(QUERY);
  expect(res.errors).toBeUndefined();
  const text = JSON.stringify(res.data);
  const masked: string[] = [];
  const withheld: string[] = [];

  CITIZENS.forEach((citizen, i) => {
    for (const item of ITEMS) {
      const raw = citizen[item];
      const got = res.data.citizens[i][item];
      const shown = expected(state, item);
      const at = `citizens.${i}.${item}`;
      if (raw === null) {
        expect(got, at).toBeNull();
        continue;
      }
      if (shown === 'clear') expect(got, at).toBe(raw);
      if (shown === 'masked') {
        expect(got, at).toBe(MASKED[raw]);
        masked.push(at);
      }
      if (shown === 'withheld') {
        expect(got, at).toBeNull();
        withheld.push(at);
      }
      // Nowhere in the response, under any path, unless allowed in clear.
      if (shown !== 'clear') expect(text.includes(raw), `${at} leaked`).toBe(false);
    }
  });

  // Not shared: withheld from all but the provider. Unconditional: everyone sees it.
  if (state === 'provider') expect(res.data.secret).toEqual({ id: 's-1', note: 'not for sharing' });
  else {
    expect(res.data.secret).toEqual({ id: null, note: null });
    withheld.push('secret.id', 'secret.note');
    expect(text).not.toContain('not for sharing');
  }
  expect(res.data.division).toEqual({ code: '431102', name: '零陵区' });

  const report = res.extensions?.access as { masked: { path: (string | number)[] }[]; withheld: { path: (string | number)[] }[] };
  expect(report.masked.map((m) => m.path.join('.')).sort()).toEqual(masked.sort());
  expect(report.withheld.map((w) => w.path.join('.')).sort()).toEqual(withheld.sort());
});

test('the same department sees less when it states a purpose its grant does not serve', async () => {
  const res = await hub.as('civil-affairs', { purpose: 'statistical-analysis' }).query(`{ citizens { idNumber birthDate } }`);
  expect(res.data.citizens[0]).toEqual({ idNumber: '431102********0211', birthDate: null });
});
