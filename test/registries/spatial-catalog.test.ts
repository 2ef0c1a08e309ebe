import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { getDirective } from '@graphql-tools/utils';
import { getNamedType, isEnumType, isObjectType, isScalarType } from 'graphql';
import { expect, test } from 'vitest';
import { buildSchema } from '../../src/server/schema.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const RESOURCES = ['spatial.division', 'spatial.grid', 'spatial.address', 'economy.indicator', 'city-component.component'];
const read = (file: string) => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8'));
const schema = buildSchema();

test.each(RESOURCES)('%s declares exactly the scalar fields of its GraphQL type, which carries its code', (code) => {
  const resource = read(`catalog/resources/${code}.json`);
  expect(resource.code).toBe(code);
  const type = schema.getType(resource.graphqlType);
  if (!isObjectType(type)) throw new Error(`${resource.graphqlType} is not an object type`);
  expect(getDirective(schema, type, 'resource')?.[0]).toEqual({ code });
  const scalars = Object.values(type.getFields())
    .filter((f) => isScalarType(getNamedType(f.type)) || isEnumType(getNamedType(f.type)))
    .map((f) => f.name);
  expect(resource.items.map((i: { name: string }) => i.name).sort()).toEqual(scalars.sort());
  const subject = Object.values(type.getFields()).filter((f) => getDirective(schema, f, 'subject')?.length);
  expect(subject).toHaveLength(1);
});

test.each(RESOURCES)('%s has a record schema that compiles and accepts a sample record', (code) => {
  const resource = read(`catalog/resources/${code}.json`);
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats.default(ajv);
  const validate = ajv.compile(read(resource.recordSchema));
  const samples: Record<string, object> = {
    'spatial.division': { code: '431103001001', name: '清桥社区居委会', level: 'village', parentCode: '431103001' },
    'spatial.grid': { code: '431103001001001', name: '清桥社区居委会第1网格', divisionCode: '431103001001', keeperName: '王芳',
      keeperPhone: '13812345678', boundary: [[111.6, 26.4], [111.61, 26.4], [111.61, 26.41], [111.6, 26.4]] },
    'spatial.address': { code: '431103001001000001', fullText: '湖南省永州市冷水滩区梅湾街道清桥社区居委会零陵路1号',
      divisionCode: '431103001001', gridCode: '431103001001001', road: '零陵路', houseNumber: '1号', lng: 111.6, lat: 26.4 },
    'economy.indicator': { indicatorCode: 'gdp', divisionCode: '431103', period: '2023', value: 251.3 },
    'city-component.component': { code: '4311030101000123', subclass: '0101', name: '上水井盖', divisionCode: '431103001001',
      lng: 111.6, lat: 26.4, ownerDepartment: '永州市自来水公司', maintenanceUnit: '永州市供水管网维护中心', status: 'normal' },
  };
  expect(validate({ ...samples[code], sourceKey: 'k-1', changedAt: '2025-07-01T00:00:00+08:00' }), JSON.stringify(validate.errors)).toBe(true);
  expect(validate({ ...samples[code], sourceKey: 'k-1', changedAt: '2025-07-01T00:00:00+08:00', extra: 1 })).toBe(false);
});
