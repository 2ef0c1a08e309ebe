import { describe, expect, test } from 'vitest';
import { decideField, type Grant, type ResourcePolicy } from '../../src/access/index.js';

const person: ResourcePolicy = {
  code: 'population.person',
  provider: 'public-security',
  sharing: 'conditional',
  items: new Map([
    ['idNumber', { sensitivity: 'personal', mask: 'id-number' }],
    ['name', { sensitivity: 'personal', mask: 'name' }],
    ['birthDate', { sensitivity: 'personal' }],
    ['gender', { sensitivity: 'internal' }],
    ['disability', { sensitivity: 'sensitive', mask: 'name' }],
    ['nationality', { sensitivity: 'public' }],
  ] as const),
};

const grant = (over: Partial<Grant> = {}): Grant => ({
  id: '1',
  resource: 'population.person',
  consumer: 'civil-affairs',
  purpose: 'low-income-verification',
  fields: { idNumber: 'clear', name: 'masked', gender: 'clear', disability: 'masked' },
  validFrom: '2026-11-01',
  validUntil: '2026-12-31',
  revoked: false,
  ...over,
});

const ask = (field: string, grants: Grant[] = [grant()], over: { department?: string; purpose?: string; resource?: ResourcePolicy; today?: string } = {}) =>
  decideField({
    department: over.department ?? 'civil-affairs',
    purpose: over.purpose ?? 'low-income-verification',
    field,
    resource: 'resource' in over ? over.resource : person,
    grants,
    today: over.today ?? '2026-11-24',
  });

describe('a conditional resource', () => {
  test('a field granted in clear is allowed', () => {
    expect(ask('idNumber')).toEqual({ effect: 'allow' });
    expect(ask('gender')).toEqual({ effect: 'allow' });
  });
  test('a field granted masked is masked by its item rule', () => {
    expect(ask('name')).toEqual({ effect: 'mask', rule: 'name' });
  });
  test('a sensitive field is masked only under a masked grant, else withheld', () => {
    expect(ask('disability')).toEqual({ effect: 'mask', rule: 'name' });
    expect(ask('disability', [])).toEqual({ effect: 'withhold', reason: 'sensitive' });
  });
  test('without a grant, a personal field with a mask rule is masked and one without is withheld', () => {
    expect(ask('idNumber', [])).toEqual({ effect: 'mask', rule: 'id-number' });
    expect(ask('birthDate', [])).toEqual({ effect: 'withhold', reason: 'no-grant' });
    expect(ask('gender', [])).toEqual({ effect: 'withhold', reason: 'no-grant' });
  });
  test('a grant for another purpose does not serve this one', () => {
    expect(ask('gender', [grant()], { purpose: 'statistical-analysis' })).toEqual({ effect: 'withhold', reason: 'purpose-not-covered' });
    expect(ask('idNumber', [grant()], { purpose: 'statistical-analysis' })).toEqual({ effect: 'mask', rule: 'id-number' });
  });
  test('an expired, not yet valid or revoked grant serves nothing', () => {
    expect(ask('gender', [grant({ validUntil: '2026-11-23' })])).toEqual({ effect: 'withhold', reason: 'no-grant' });
    expect(ask('gender', [grant({ validFrom: '2026-11-25' })])).toEqual({ effect: 'withhold', reason: 'no-grant' });
    expect(ask('gender', [grant({ revoked: true })])).toEqual({ effect: 'withhold', reason: 'no-grant' });
    // The last day of the period still counts.
    expect(ask('gender', [grant({ validUntil: '2026-11-24' })])).toEqual({ effect: 'allow' });
  });
  test('a field left out of the grant is not granted', () => {
    expect(ask('birthDate')).toEqual({ effect: 'withhold', reason: 'field-not-granted' });
  });
  test('public items need no grant', () => {
    expect(ask('nationality', [])).toEqual({ effect: 'allow' });
  });
  test('the provider sees its own resource in clear', () => {
    expect(ask('birthDate', [], { department: 'public-security' })).toEqual({ effect: 'allow' });
  });
});

test('an unconditional resource is readable by any department with a purpose', () => {
  expect(ask('birthDate', [], { resource: { ...person, sharing: 'unconditional' } })).toEqual({ effect: 'allow' });
});

test('a resource not shared is withheld from everyone but its provider', () => {
  const closed = { ...person, sharing: 'none' as const };
  expect(ask('idNumber', [grant()], { resource: closed })).toEqual({ effect: 'withhold', reason: 'not-shared' });
  expect(ask('idNumber', [], { resource: closed, department: 'public-security' })).toEqual({ effect: 'allow' });
});

test('a resource or field missing from the catalogue is withheld', () => {
  expect(ask('idNumber', [], { resource: undefined })).toEqual({ effect: 'withhold', reason: 'not-catalogued' });
  expect(ask('shoeSize', [])).toEqual({ effect: 'withhold', reason: 'not-catalogued' });
});
