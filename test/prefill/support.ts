import type pg from 'pg';
import { grantAccess, grantDemoAccess, seedCity, type GrantDeclaration } from '../../src/simulate/index.js';
import type { TestHub } from '../support/hub.js';

/**
 * Department resources the prefill reads from `department_record`. Registered here only when the
 * catalogue lacks them (their declarations belong to the connectors' work, `catalog/resources/`):
 * the same codes, items and sensitivities.
 */
const item = (name: string, title: string, sensitivity: string, extra: Record<string, unknown> = {}) => ({
  name, title, type: 'string', description: title, sensitivity, identifiesPerson: false, ...extra,
});
export const DEPARTMENT_DECLARATIONS = [
  {
    code: 'vehicles.vehicle', name: '机动车登记信息', nameEn: 'Registered motor vehicles',
    summary: '机动车登记：号牌、车辆类型、登记日期、所有人。Motor vehicles registered to a person or an entity.',
    provider: 'public-security', classification: { class: 'department', category: '公安' }, graphqlType: 'Vehicle',
    items: [
      item('plateNumber', '号牌号码', 'personal'),
      item('ownerIdNumber', '所有人公民身份号码', 'personal', { identifiesPerson: true, mask: 'id-number' }),
      item('vehicleType', '车辆类型', 'internal'),
      item('brand', '品牌', 'internal'),
      item('registeredOn', '初次登记日期', 'internal', { type: 'date' }),
      item('status', '状态', 'internal'),
    ],
    sharing: { type: 'conditional', conditions: '有条件共享：用于社会救助家庭经济状况核对', methods: ['query'] },
    open: { open: false }, updateCycle: 'daily', publishedAt: '2026-12-03', recordSchema: 'schemas/records/spatial.division.json',
  },
  {
    code: 'provident-fund.account', name: '住房公积金个人账户', nameEn: 'Housing provident fund accounts',
    summary: '住房公积金个人账户：账号、缴存基数、月缴存额、余额。Provident fund accounts of employees.',
    provider: 'provident-fund', classification: { class: 'department', category: '公积金' }, graphqlType: 'ProvidentFundAccount',
    items: [
      item('accountNumber', '个人账号', 'personal'),
      item('idNumber', '公民身份号码', 'personal', { identifiesPerson: true, mask: 'id-number' }),
      item('contributionBase', '缴存基数', 'sensitive', { type: 'number' }),
      item('monthlyDeposit', '月缴存额', 'sensitive', { type: 'number' }),
      item('balance', '账户余额', 'sensitive', { type: 'number' }),
      item('status', '账户状态', 'internal'),
      item('lastWithdrawalOn', '最近提取日期', 'personal', { type: 'date' }),
    ],
    sharing: { type: 'conditional', conditions: '有条件共享：经公积金中心审批', methods: ['query'] },
    open: { open: false }, updateCycle: 'daily', publishedAt: '2026-12-03', recordSchema: 'schemas/records/spatial.division.json',
  },
];

/** Grants each shipped form's department needs for its purpose (civil affairs has the demo's). */
export const FORM_GRANTS: GrantDeclaration[] = [
  ...['vehicles.vehicle', 'provident-fund.account'].map((resource) => ({
    consumer: 'civil-affairs', resource, purpose: 'low-income-verification', fields: 'all' as const, legalBasis: '社会救助暂行办法 第十一条',
  })),
  { consumer: 'market-regulation', resource: 'population.person', purpose: 'business-registration', fields: ['idNumber', 'name'], legalBasis: '市场主体登记管理条例 第十条' },
  ...['property.unit', 'property.ownership'].map((resource) => ({
    consumer: 'market-regulation', resource, purpose: 'business-registration', fields: 'all' as const, legalBasis: '市场主体登记管理条例 第十条: 住所证明',
  })),
  ...['population.person', 'population.household', 'property.unit', 'property.ownership', 'property.encumbrance'].map((resource) => ({
    consumer: 'provident-fund', resource, purpose: 'provident-fund-withdrawal', fields: 'all' as const, legalBasis: '住房公积金管理条例 第二十四条',
  })),
  ...['population.person', 'population.household', 'property.unit', 'property.ownership'].map((resource) => ({
    consumer: 'education', resource, purpose: 'school-enrolment', fields: 'all' as const, legalBasis: '义务教育法 第十二条',
  })),
];

/** A hub with a synthetic city, the demo's grants, the department resources and the forms' grants. */
export async function prepareCity(hub: TestHub, persons = 1500): Promise<void> {
  await seedCity(hub.owner.pool, { persons, seed: 15 });
  const admin = hub.as('data-bureau', { roles: ['catalog-admin'] });
  for (const declaration of DEPARTMENT_DECLARATIONS) {
    if (hub.services.catalog.resource(declaration.code)) continue;
    const res = await admin.query(`mutation($r: ResourceInput!) { registerResource(resource: $r, reason: "prefill tests") { code } }`, { r: declaration });
    if (res.errors) throw new Error(`registering ${declaration.code}: ${JSON.stringify(res.errors)}`);
  }
  await grantDemoAccess(hub.db.pool);
  await grantAccess(hub.db.pool, FORM_GRANTS);
  await hub.services.catalog.reload();
}

/** A department record as a connector would apply it (the tests insert them directly). */
export async function insertDepartmentRecord(
  pool: pg.Pool,
  r: { resource: string; key: string; subject: string; payload: Record<string, unknown>; system: string; validFrom?: string },
): Promise<void> {
  await pool.query(
    `insert into department_record (resource_code, record_key, subject, payload, source_system, source_key, resource_version, fetched_at, valid_from)
     values ($1, $2, $3, $4, $5, $2, '1', now(), coalesce($6::timestamptz, now()))`,
    [r.resource, r.key, r.subject, r.payload, r.system, r.validFrom ?? null],
  );
}
