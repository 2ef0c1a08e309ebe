import { expect, test } from 'vitest';
import { CERTIFICATE_NUMBER, certificateNumber, checkUnitNumber } from '../../../src/registries/property/index.js';

test('the unit number of DOMAIN.md §7 passes', () => {
  expect(checkUnitNumber('431103004002GB00015F00010012')).toEqual({ ok: true, unitNumber: '431103004002GB00015F00010012' });
});

test.each([
  ['431103004002GB00015F0001001', 'a unit number has 28 characters'],
  ['431103004002KB00015F00010012', 'owner letter K is not one of G, J, Z'],
  ['431103004002GA00015W00000000', 'right A exists only on collective (J) land'],
])('the invalid unit number %s is refused: %s', (unit, reason) => {
  expect(checkUnitNumber(unit)).toEqual({ ok: false, reason });
});

test('a homestead (C) on collective land and bare land (W) with a zero unit pass', () => {
  expect(checkUnitNumber('431124203201JC00042F00010001').ok).toBe(true);
  expect(checkUnitNumber('431124203201JA00042W00000000').ok).toBe(true);
  expect(checkUnitNumber('431124203201JA00042W00000001').ok).toBe(false);
});

test('certificate numbers follow 湘(year)永州市不动产权第NNNNNNN号', () => {
  expect(certificateNumber(2023, 1234)).toBe('湘(2023)永州市不动产权第0001234号');
  expect(CERTIFICATE_NUMBER.test('湘(2023)永州市不动产权第0001234号')).toBe(true);
  expect(CERTIFICATE_NUMBER.test(certificateNumber(2024, 7, '证明'))).toBe(true);
  expect(CERTIFICATE_NUMBER.test('湘(23)永州市不动产权第1234号')).toBe(false);
});
