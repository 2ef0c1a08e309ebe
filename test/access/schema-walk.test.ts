import { getNamedType, isInputObjectType, isNullableType, isObjectType, isUnionType, type GraphQLArgument, type GraphQLInputField, type GraphQLNamedType } from 'graphql';
import { getDirective } from '@graphql-tools/utils';
import { describe, expect, test } from 'vitest';
import { CONTROL_ARGUMENTS, guardOf, schemaReach } from '../../src/access/index.js';
import { buildSchema } from '../../src/server/index.js';

/**
 * Walks the served schema, independently of how the guard plans it: every output field reachable
 * from a `@resource` type must be decided by the guard, and every argument of a field that reaches
 * resource data must be routed through the purpose check and the audit, so new ones cannot slip past.
 */
const schema = buildSchema();
const isResource = (t: GraphQLNamedType) => isObjectType(t) && !!getDirective(schema, t, 'resource')?.length;

function reachableFromResources(): GraphQLNamedType[] {
  const seen = new Map<string, GraphQLNamedType>();
  const queue = Object.values(schema.getTypeMap()).filter(isResource);
  while (queue.length) {
    const type = queue.pop()!;
    if (seen.has(type.name)) continue;
    seen.set(type.name, type);
    if (isUnionType(type)) queue.push(...type.getTypes());
    if (isObjectType(type)) for (const f of Object.values(type.getFields())) queue.push(getNamedType(f.type));
  }
  return [...seen.values()];
}

describe('the served schema', () => {
  test('every output field reachable from a @resource type is decided by the guard', () => {
    const undecided: string[] = [];
    const objects = reachableFromResources().filter(isObjectType);
    for (const type of objects) {
      for (const field of Object.values(type.getFields())) if (!guardOf(field)?.decision) undecided.push(`${type.name}.${field.name}`);
    }
    expect(objects.map((t) => t.name)).toEqual(expect.arrayContaining(['Person', 'Provenance', 'DivisionConnection', 'Indicator']));
    expect(undecided).toEqual([]);
  });

  test('every field a policy may withhold is nullable, so withholding never fails its parent', () => {
    const nonNull: string[] = [];
    for (const type of reachableFromResources().filter(isObjectType)) {
      for (const field of Object.values(type.getFields())) {
        const kind = guardOf(field)?.decision?.kind;
        if ((kind === 'item' || kind === 'held') && !isNullableType(field.type)) nonNull.push(`${type.name}.${field.name}`);
      }
    }
    expect(nonNull).toEqual([]);
  });

  test('every argument of a field reaching resource data is routed through the purpose check and the audit', () => {
    const { reaching } = schemaReach(schema);
    const unrouted: string[] = [];
    let checked = 0;
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        if (!reaching.has(getNamedType(field.type).name) || !field.args.length) continue;
        const routed = new Set(guardOf(field)?.routes.map((r) => r.argument));
        const visit = (arg: GraphQLArgument | GraphQLInputField, path: string[]) => {
          const named = getNamedType(arg.type);
          const argument = path.join('.');
          checked++;
          if (routed.has(argument) || (path.length === 1 && CONTROL_ARGUMENTS.has(arg.name))) return;
          if (isInputObjectType(named)) for (const f of Object.values(named.getFields())) visit(f, [...path, f.name]);
          else unrouted.push(`${type.name}.${field.name}(${argument})`);
        };
        for (const arg of field.args) visit(arg, [arg.name]);
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(unrouted).toEqual([]);
  });
});

describe('a new field or argument cannot slip past the guard', () => {
  test('a type held by a resource record whose fields say nothing of their release stops the schema from building', () => {
    const typeDefs = ['extend type Person { note: CaseNote } type CaseNote { text: String }'];
    expect(() => buildSchema({ typeDefs })).toThrow(/CaseNote\.text/);
  });

  test('an argument reaching resource data with no @key or @filters stops the schema from building', () => {
    const typeDefs = ['extend type Query { peopleNamed(name: String!, first: Int): [Person!]! }'];
    expect(() => buildSchema({ typeDefs })).toThrow(/Query\.peopleNamed\(name\)/);
  });

  test('the same field routed by @filters builds', () => {
    const typeDefs = ['extend type Query { peopleNamed(name: String! @filters(resource: "population.person", items: ["name"]), first: Int): [Person!]! }'];
    expect(() => buildSchema({ typeDefs })).not.toThrow();
  });
});
