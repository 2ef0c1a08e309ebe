import { makeExecutableSchema } from '@graphql-tools/schema';
import { graphql } from 'graphql';
import { expect, test } from 'vitest';
import { AccessSession, guardResourceFields } from '../../src/access/index.js';

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
  const access = new AccessSession(null, null);
  const result = await graphql({ schema, source: '{ people { name nickname } }', contextValue: { access } });
  expect(result.errors).toBeUndefined();
  expect(result.data).toEqual({ people: [{ name: '张三', nickname: '张三儿' }, { name: '李四', nickname: '李四儿' }] });
  const touched = access.touched.get('population.person')!;
  expect([...touched.fields].sort()).toEqual(['name', 'nickname']);
  // The subject is read from the record even when the query did not select it.
  expect([...touched.subjects].sort()).toEqual(['431102198503120211', '43112420010807046X']);
});

test('a query that touches no resource type records nothing', async () => {
  const access = new AccessSession(null, null);
  await graphql({ schema, source: '{ __typename }', contextValue: { access } });
  expect(access.touched.size).toBe(0);
});
