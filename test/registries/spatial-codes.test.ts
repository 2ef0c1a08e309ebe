import { describe, expect, test } from 'vitest';
import { checkCategory, checkComponentCode } from '../../src/registries/city-components/index.js';
import { checkIndicatorCode, checkPeriod, periodMonths } from '../../src/registries/economy/index.js';
import { checkAddressCode, checkCoordinates, checkDivisionCode, checkGridCode, descendantPrefix } from '../../src/registries/spatial/index.js';
import { tile } from '../../src/simulate/geography.js';
import { parseAsOf } from '../../src/server/as-of.js';

describe('division codes (DOMAIN.md §3)', () => {
  test.each(['431102', '431103', '431181', '431171', '431100', '430000', '432900', '431103001', '431103001001', '431181120'])(
    '%s is well formed',
    (code) => expect(checkDivisionCode(code)).toEqual({ ok: true }),
  );

  test.each([
    ['4311', '6, 9 or 12 digits'],
    ['43110300100', '6, 9 or 12 digits'],
    ['991103', 'province'],
    ['431100001', 'county'],
    ['431103000', 'township'],
    ['431103600001', 'township'],
    ['431103001000', 'village'],
  ])('%s is refused: %s', (code, reason) => {
    const check = checkDivisionCode(code);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toContain(reason);
  });

  test('descendants share the code prefix of their ancestor', () => {
    expect(descendantPrefix('430000')).toBe('43');
    expect(descendantPrefix('431100')).toBe('4311');
    expect(descendantPrefix('431103')).toBe('431103');
    expect(descendantPrefix('431103001')).toBe('431103001');
  });

  test('grid and address codes are numbered under their village', () => {
    expect(checkGridCode('431103001001001')).toEqual({ ok: true });
    expect(checkGridCode('43110300100101').ok).toBe(false);
    expect(checkAddressCode('431103001001000123')).toEqual({ ok: true });
    expect(checkAddressCode('431103001000000123').ok).toBe(false);
  });

  test('coordinates name the argument out of range', () => {
    expect(checkCoordinates(111.6, 26.4)).toBeNull();
    expect(checkCoordinates(181, 26.4)?.argument).toBe('lng');
    expect(checkCoordinates(111.6, -90.5)?.argument).toBe('lat');
    expect(checkCoordinates(Number.NaN, 0)?.argument).toBe('lng');
  });
});

describe('component identifiers (DOMAIN.md §6)', () => {
  test.each(['3205080101000001', '4311030101000123'])('%s is valid', (code) => expect(checkComponentCode(code)).toEqual({ ok: true }));

  test.each([
    ['431103010100012', '16 digits'],
    ['43110301010001234', '16 digits'],
    ['431103010100012A', '16 digits'],
    ['4311000101000123', 'county'],
    ['4311030901000123', 'category'],
    ['4311030100000123', 'subclass'],
    ['4311030101000000', 'serial'],
  ])('%s is refused: %s', (code, reason) => {
    const check = checkComponentCode(code);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toContain(reason);
  });

  test('the six categories 01–06 are known, others are not', () => {
    for (const c of ['01', '02', '03', '04', '05', '06']) expect(checkCategory(c).ok).toBe(true);
    expect(checkCategory('07').ok).toBe(false);
  });
});

describe('indicator codes and periods (DOMAIN.md §8)', () => {
  test('codes are slugs, periods are years, quarters or months', () => {
    expect(checkIndicatorCode('gdp').ok).toBe(true);
    expect(checkIndicatorCode('GDP').ok).toBe(false);
    for (const p of ['2023', '2023-Q2', '2023-06']) expect(checkPeriod(p).ok).toBe(true);
    for (const p of ['23', '2023-Q5', '2023-13', '2023-6']) expect(checkPeriod(p).ok).toBe(false);
    expect(periodMonths('2023')).toEqual({ first: '2023-01', last: '2023-12' });
    expect(periodMonths('2023-Q2')).toEqual({ first: '2023-04', last: '2023-06' });
    expect(periodMonths('2023-06')).toEqual({ first: '2023-06', last: '2023-06' });
  });
});

describe('asOf', () => {
  test('takes a date or a date-time with offset, and refuses days that do not exist', () => {
    expect(parseAsOf('2024-06-30').toISOString()).toBe('2024-06-30T00:00:00.000Z');
    expect(parseAsOf('2024-06-30T12:00:00+08:00').toISOString()).toBe('2024-06-30T04:00:00.000Z');
    expect(() => parseAsOf('2023-02-29')).toThrow(/asOf/);
    expect(() => parseAsOf('yesterday')).toThrow(/asOf/);
  });
});

describe('tiling', () => {
  test('cells exactly tile the box, with areas in proportion to their weights', () => {
    const box = { west: 0, south: 0, east: 4, north: 2 };
    const cells = tile(box, [{ code: 'a', weight: 1 }, { code: 'b', weight: 1 }, { code: 'c', weight: 2 }]);
    const area = (b: { west: number; south: number; east: number; north: number }) => (b.east - b.west) * (b.north - b.south);
    expect([...cells.values()].reduce((sum, b) => sum + area(b), 0)).toBeCloseTo(8, 12);
    expect(area(cells.get('c')!)).toBeCloseTo(4, 12);
    expect(area(cells.get('a')!)).toBeCloseTo(2, 12);
  });
});
