import { describe, expect, test } from 'vitest';
import { checkCreditCode, makeCreditCode } from '../../../src/registries/legal-entities/index.js';

describe('valid credit codes of DOMAIN.md §2 pass', () => {
  test.each(['91431103MA4PB3K7XN', '92431124MA4N8R2L7Y', '93431129MA4RC6TJ02', '11431100006146377L', '524311020584739277'])('%s', (code) => {
    expect(checkCreditCode(code)).toEqual({ ok: true, creditCode: code });
  });
});

describe('invalid credit codes of DOMAIN.md §2 are refused with the reason', () => {
  test.each([
    ['91431103MA4PB3K7XP', 'bad checksum'],
    ['91431103MA4PB3K7XO', '"O" is not in the credit-code character set'],
    ['91431103MA4PB3K75C', 'bad organisation code checksum'],
    ['95431103MA4PB3K7XA', 'no organisation type 5 under registration authority 9'],
  ])('%s: %s', (code, reason) => {
    expect(checkCreditCode(code)).toEqual({ ok: false, reason });
  });
});

test('lower case is accepted and upper-cased', () => {
  expect(checkCreditCode('91431103ma4pb3k7xn')).toEqual({ ok: true, creditCode: '91431103MA4PB3K7XN' });
});

test('codes made for synthetic entities pass', () => {
  expect(makeCreditCode('9', '1', '431103', 'MA4PB3K7')).toBe('91431103MA4PB3K7XN');
  expect(checkCreditCode(makeCreditCode('5', '2', '431102', '05847392')).ok).toBe(true);
});
