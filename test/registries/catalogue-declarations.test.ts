import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getDirective } from '@graphql-tools/utils';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { getNamedType, isLeafType, isObjectType } from 'graphql';
import { describe, expect, test } from 'vitest';
import { buildSchema } from '../../src/server/schema.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const RESOURCES = [
  'population.person', 'population.household', 'legal-entity.entity', 'legal-entity.shareholding',
  'legal-entity.economic-facts', 'property.unit', 'property.ownership', 'property.encumbrance',
];
const PROVIDERS: Record<string, string> = { population: 'public-security', 'legal-entity': 'market-regulation', property: 'natural-resources' };
const read = (file: string) => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8'));
const schema = buildSchema();

describe.each(RESOURCES)('the catalogue declaration of %s', (code) => {
  const declaration = read(`catalog/resources/${code}.json`);

  test('names the GraphQL type that carries it, and its items are exactly that type’s scalar and enum fields', () => {
    const type = schema.getType(declaration.graphqlType);
    if (!isObjectType(type)) throw new Error(`${declaration.graphqlType} is not an object type`);
    expect(getDirective(schema, type, 'resource')?.[0]?.code).toBe(code);
    const leaves = Object.values(type.getFields()).filter((f) => isLeafType(getNamedType(f.type))).map((f) => f.name);
    expect(declaration.items.map((i: { name: string }) => i.name)).toEqual(leaves);
  });

  test('has its provider, sensitivities and masks from the allowed sets', () => {
    expect(declaration.code).toBe(code);
    const provider = code === 'legal-entity.economic-facts' ? 'tax' : PROVIDERS[code.split('.')[0]];
    expect(declaration.provider).toBe(provider);
    for (const item of declaration.items) {
      expect(['public', 'internal', 'personal', 'sensitive']).toContain(item.sensitivity);
      if (item.mask) expect(['id-number', 'name', 'mobile', 'withhold']).toContain(item.mask);
    }
  });

  test('points to a JSON Schema 2020-12 record schema that compiles', () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    expect(declaration.recordSchema).toBe(`schemas/records/${code}.json`);
    expect(() => ajv.compile(read(declaration.recordSchema))).not.toThrow();
  });
});

test('a person record as a connector delivers it passes its schema, and a bad one does not', () => {
  const ajv = new Ajv2020({ strict: false });
  addFormats.default(ajv);
  const validate = ajv.compile(read('schemas/records/population.person.json'));
  const record = {
    idNumber: '431102198503120211', name: '张伟', formerNames: [], gender: 'male', birthDate: '1985-03-12', ethnicity: '汉族',
    residenceDivisionCode: '431102001001', address: null, maritalStatus: 'married', status: 'living', householdNumber: 'H1', relationToHead: 'head',
  };
  expect(validate(record)).toBe(true);
  expect(validate({ ...record, idNumber: '43110219850312021' })).toBe(false);
});
