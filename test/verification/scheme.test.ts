import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { areaOf, checkScheme, loadScheme, SCHEME_DIR, standardFor } from '../../src/verification/scheme.js';
import { composeHousehold, incomePeriod } from '../../src/verification/evaluate.js';

const raw = () => JSON.parse(readFileSync(path.join(SCHEME_DIR, 'low-income.json'), 'utf8'));

describe('the scheme file', () => {
  test('passes its JSON Schema: 12 items from 10 departments, each with its source, gathering, period and rule', () => {
    const scheme = loadScheme();
    expect(scheme.items).toHaveLength(12);
    expect(new Set(scheme.items.map((i) => i.department)).size).toBe(10);
    for (const item of scheme.items) expect(item).toEqual(expect.objectContaining({ resource: expect.any(String), gathers: expect.any(String), period: expect.any(String), rule: expect.objectContaining({ description: expect.any(String) }) }));
    expect(scheme.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test('a broken scheme is refused naming every place', () => {
    const broken = raw();
    delete broken.items[3].rule.field;
    broken.standards[0].urbanMonthly = -5;
    broken.items[5].key = broken.items[4].key;
    expect(() => checkScheme(broken, 'low-income.json')).toThrow(/\/items\/3\/rule.*field|\/standards\/0\/urbanMonthly/s);
    const twice = raw();
    twice.items[5].key = twice.items[4].key;
    expect(() => checkScheme(twice, 'x.json')).toThrow(/\/items\/5\/key: "property" appears twice/);
  });
});

describe('standards as data', () => {
  const scheme = loadScheme();
  test('the most specific division with a standard in force on the date wins; its parent before it starts', () => {
    expect(standardFor(scheme, '431102001001', '2026-03-01')).toMatchObject({ division: '431102', urbanMonthly: 780 });
    expect(standardFor(scheme, '431102001001', '2025-12-31')).toMatchObject({ division: '4311', effectiveFrom: '2025-01-01', urbanMonthly: 700 });
    expect(standardFor(scheme, '431103', '2026-07-01')).toMatchObject({ division: '4311', urbanMonthly: 760 });
    expect(standardFor(scheme, '431103', '2024-12-31')).toBeNull();
    expect(standardFor(scheme, '430100', '2026-07-01')).toBeNull();
  });

  test('urban or rural by the township code; the income period is the complete months before the check', () => {
    expect(areaOf('431102001001')).toBe('urban');
    expect(areaOf('431102100201')).toBe('rural');
    expect(areaOf('431102')).toBe('urban');
    expect(incomePeriod('2026-12-03', 12)).toEqual({ from: '2025-12-01', to: '2026-12-01' });
  });
});

test('the household: declared, undeclared, deceased, unknown and invalid members', () => {
  const person = (idNumber: string, status = 'living', householdNumber = 'H1') =>
    ({ idNumber, name: idNumber.slice(-4), status, householdNumber, relationToHead: 'x' }) as never;
  const register = {
    applicant: person('A'), householdNumber: 'H1', divisionCode: '431102',
    members: [person('A'), person('B'), person('C'), person('D', 'deceased')],
    declared: new Map([['B', person('B')], ['E', null], ['F', person('F', 'living', 'H2')]]),
  };
  const h = composeHousehold('A', ['B', 'E', 'F', 'BAD'], register, (id) => id !== 'BAD');
  expect(h.counted.sort()).toEqual(['A', 'B', 'C', 'F']);
  expect(h.differences.map((d) => `${d.idNumber}:${d.kind}`).sort()).toEqual(['BAD:INVALID_ID', 'C:NOT_DECLARED', 'E:NOT_IN_REGISTER', 'F:OTHER_HOUSEHOLD']);
});
