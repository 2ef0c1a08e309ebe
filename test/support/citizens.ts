import type { IResolvers } from '@graphql-tools/utils';
import { buildSchema } from '../../src/server/index.js';

/**
 * A test-only catalogue resource with one item of every kind the policy treats differently, so
 * that catalogue tests do not depend on the base libraries' declarations.
 */
export const CITIZEN_SDL = /* GraphQL */ `
  extend type Query {
    citizen(idNumber: String! @key(resource: "test.citizen")): Citizen
    citizens: [Citizen!]!
    secret(id: String! @key(resource: "test.secret")): Secret
  }
  type Citizen @resource(code: "test.citizen") {
    idNumber: String @subject
    name: String
    mobile: String
    birthDate: String
    disability: String
    district: String
    division: Division
  }
  type Secret @resource(code: "test.secret") {
    id: String @subject
    note: String
  }
`;

export const CITIZENS = [
  { idNumber: '431102198503120211', name: '张三', mobile: '13812345678', birthDate: '1985-03-12', disability: '肢体三级', district: '零陵区', divisionCode: '431102' },
  { idNumber: '43112420010807046X', name: '欧阳春花', mobile: '13907461234', birthDate: '2001-08-07', disability: null, district: '道县', divisionCode: '431124' },
];

const resolvers: IResolvers = {
  Query: {
    citizen: (_root, { idNumber }: { idNumber: string }) => CITIZENS.find((c) => c.idNumber === idNumber) ?? null,
    citizens: () => CITIZENS,
    secret: (_root, { id }: { id: string }) => ({ id, note: 'not for sharing' }),
  },
  Citizen: { division: (c: { divisionCode: string }) => ({ code: c.divisionCode, name: '区', level: 'county', statisticalOnly: false, validTo: null, parentCode: null }) },
};

export const citizenSchema = () => buildSchema({ typeDefs: [CITIZEN_SDL], resolvers: [resolvers] });

export const citizenDeclaration = (over: Record<string, unknown> = {}) => ({
  code: 'test.citizen',
  name: '测试公民信息',
  nameEn: 'Test citizens',
  summary: '测试用公民基础信息：身份证号、姓名、手机号、出生日期。Citizens for tests: ID number, name, mobile, birth date.',
  provider: 'public-security',
  classification: { class: 'base', category: '人口' },
  graphqlType: 'Citizen',
  items: [
    { name: 'idNumber', title: '公民身份号码', type: 'string', description: 'GB 11643 citizen ID number', sensitivity: 'personal', identifiesPerson: true, mask: 'id-number' },
    { name: 'name', title: '姓名', type: 'string', description: 'Name', sensitivity: 'personal', identifiesPerson: true, mask: 'name' },
    { name: 'mobile', title: '手机号码', type: 'string', description: 'Mobile number', sensitivity: 'personal', identifiesPerson: true, mask: 'mobile' },
    { name: 'birthDate', title: '出生日期', type: 'date', description: 'Date of birth', sensitivity: 'personal', identifiesPerson: false },
    { name: 'disability', title: '残疾类别', type: 'string', description: 'Disability and grade (PIPL art. 28: health)', sensitivity: 'sensitive', identifiesPerson: false },
    { name: 'district', title: '所在区县', type: 'string', description: 'County of residence', sensitivity: 'public', identifiesPerson: false },
  ],
  sharing: { type: 'conditional', conditions: '有条件共享：经提供部门审批后按用途共享', methods: ['query'] },
  open: { open: false },
  updateCycle: 'real-time',
  publishedAt: '2026-11-24',
  recordSchema: 'schemas/records/spatial.division.json',
  ...over,
});

export const secretDeclaration = () => ({
  ...citizenDeclaration(),
  code: 'test.secret',
  name: '测试不予共享信息',
  nameEn: 'Test secrets',
  graphqlType: 'Secret',
  items: [
    { name: 'id', title: '编号', type: 'string', description: 'Identifier', sensitivity: 'public', identifiesPerson: false },
    { name: 'note', title: '内容', type: 'string', description: 'Note', sensitivity: 'internal', identifiesPerson: false },
  ],
  sharing: { type: 'none', conditions: '不予共享：测试', methods: ['query'] },
});
