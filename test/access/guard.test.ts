import { makeExecutableSchema } from '@graphql-tools/schema';
import { graphql } from 'graphql';
import { expect, test } from 'vitest';
import { AccessSession, guardResourceFields, newDecisionBook, type DecisionBook, type PolicySource } from '../../src/access/index.js';

// Persons shared with everyone, so that only the recording is under test here.
const openPolicy: PolicySource = {
  resource: (code) => ({
    code,
    provider: 'public-security',
    sharing: 'unconditional',
    items: new Map(['idNumber', 'name', 'nickname'].map((n) => [n, { sensitivity: 'personal' as const }])),
  }),
  grants: () => [],
};
const asker = () =>
  new AccessSession({ department: 'civil-affairs', system: 'test', roles: ['consumer'] }, { code: 'social-assistance', caseNumber: 'T-1' }, openPolicy);

const schema = guardResourceFields(
  makeExecutableSchema({
    typeDefs: /* GraphQL */ `
      directive @resource(code: String!) on OBJECT
      directive @subject on FIELD_DEFINITION
      type Query { people: [Person!]! }
      type Person @resource(code: "population.person") {
        idNumber: String! @subject
        name: String!
        nickname: String
      }
    `,
    resolvers: {
      Query: { people: () => [{ idNumber: '431102198503120211', name: '张三' }, { idNumber: '43112420010807046X', name: '李四' }] },
      Person: { nickname: async (p: { name: string }) => `${p.name}儿` },
    },
  }),
);

test('every released field of a resource type is recorded with the subject it is about', async () => {
  const access = asker();
  const result = await graphql({ schema, source: '{ people { name nickname } }', contextValue: { access } });
  expect(result.errors).toBeUndefined();
  expect(result.data).toEqual({ people: [{ name: '张三', nickname: '张三儿' }, { name: '李四', nickname: '李四儿' }] });
  const touched = access.touched.get('population.person')!;
  expect([...touched.fields].sort()).toEqual(['name', 'nickname']);
  // The subject is read from the record even when the query did not select it.
  expect([...touched.subjects].sort()).toEqual(['431102198503120211', '43112420010807046X']);
});

test('a query that touches no resource type records nothing', async () => {
  const access = asker();
  await graphql({ schema, source: '{ __typename }', contextValue: { access } });
  expect(access.touched.size).toBe(0);
});

test('a withheld non-null field (a resource no longer catalogued) is null without failing its parent', async () => {
  const retired: PolicySource = { resource: () => undefined, grants: () => [] };
  const access = new AccessSession({ department: 'civil-affairs', system: 'test', roles: ['consumer'] }, { code: 'social-assistance', caseNumber: 'T-1' }, retired);
  const result = await graphql({ schema, source: '{ people { idNumber name } }', contextValue: { access } });
  expect(result.errors).toBeUndefined();
  expect(result.data).toEqual({ people: [{ idNumber: null, name: null }, { idNumber: null, name: null }] });
  expect(access.report.withheld[0]).toEqual({ path: ['people', 0, 'idNumber'], reason: 'not-catalogued' });
});

test('decisions are shared by the requests of one asker (department, purpose, day), never across askers', async () => {
  const books = new Map<string, DecisionBook>();
  let asked = 0;
  const policy: PolicySource = {
    resource: (code) => (asked++, openPolicy.resource(code)),
    grants: () => [],
    decisionBook: (key) => books.get(key) ?? books.set(key, newDecisionBook()).get(key)!,
  };
  const run = async (department: string, purpose: string) => {
    const access = new AccessSession({ department, system: 'test', roles: ['consumer'] }, { code: purpose, caseNumber: 'T-1' }, policy);
    expect((await graphql({ schema, source: '{ people { idNumber name } }', contextValue: { access } })).errors).toBeUndefined();
    const before = asked;
    asked = 0;
    return before;
  };
  expect(await run('civil-affairs', 'social-assistance')).toBe(2); // idNumber and name, once each
  expect(await run('civil-affairs', 'social-assistance')).toBe(0);
  expect(await run('tax', 'social-assistance')).toBe(2);
  expect(await run('civil-affairs', 'low-income-verification')).toBe(2);
  expect(books.size).toBe(3);
});
