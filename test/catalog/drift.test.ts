import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { getDirective } from '@graphql-tools/utils';
import { getNamedType, isLeafType, isNonNullType, isObjectType, type GraphQLObjectType } from 'graphql';
import { describe, expect, test } from 'vitest';
import { RESOURCES_DIR, type ResourceDeclaration } from '../../src/catalog/index.js';
import { buildSchema } from '../../src/server/index.js';

const schema = buildSchema();
const resourceTypes = Object.values(schema.getTypeMap())
  .filter((t): t is GraphQLObjectType => isObjectType(t) && !!getDirective(schema, t, 'resource')?.length)
  .map((type) => ({ type, typeName: type.name, code: getDirective(schema, type, 'resource')![0].code as string }));

test('the contract has resource types to compare', () => {
  expect(resourceTypes.map((r) => r.code)).toContain('spatial.division');
});

/** Whether a consumer could be shown `null` for this item (withheld), under the declaration's sharing. */
function canBeWithheld(d: ResourceDeclaration, item: ResourceDeclaration['items'][number]): boolean {
  if (d.sharing.type === 'none') return true;
  if (d.sharing.type === 'unconditional' || item.sensitivity === 'public') return false;
  const masked = item.mask && item.mask !== 'withhold';
  return !masked || item.sensitivity === 'sensitive';
}

describe.each(resourceTypes)('the $typeName resource type and its declaration $code', ({ type, code }) => {
  const file = path.join(RESOURCES_DIR, `${code}.json`);

  test('are the same: every scalar or enum field is a data item, and every data item a field', () => {
    expect(existsSync(file), `${path.relative(process.cwd(), file)} is missing`).toBe(true);
    const declaration: ResourceDeclaration = JSON.parse(readFileSync(file, 'utf8'));
    expect(declaration.graphqlType).toBe(type.name);
    const fields = Object.values(type.getFields())
      .filter((f) => isLeafType(getNamedType(f.type)))
      .map((f) => f.name)
      .sort();
    expect(declaration.items.map((i) => i.name).sort()).toEqual(fields);
  });

  test('every item that may be withheld is nullable, so that withholding it never fails a query', () => {
    expect(existsSync(file), `${path.relative(process.cwd(), file)} is missing`).toBe(true);
    const declaration: ResourceDeclaration = JSON.parse(readFileSync(file, 'utf8'));
    const fields = type.getFields();
    const nonNull = declaration.items.filter((i) => fields[i.name] && canBeWithheld(declaration, i) && isNonNullType(fields[i.name].type)).map((i) => i.name);
    expect(nonNull, `make these nullable in the SDL of ${type.name}`).toEqual([]);
  });
});
