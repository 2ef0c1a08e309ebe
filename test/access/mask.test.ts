import { expect, test } from 'vitest';
import { applyMask, maskIdNumber, maskMobile, maskName } from '../../src/access/index.js';

test('an ID number keeps its first six and last four characters', () => {
  expect(maskIdNumber('431102198503120211')).toBe('431102********0211');
  expect(maskIdNumber('43112420010807046X')).toBe('431124********046X');
});

test('a name keeps its surname, two characters for a compound surname', () => {
  expect(maskName('张三')).toBe('张*');
  expect(maskName('李小龙')).toBe('李**');
  expect(maskName('欧阳修文')).toBe('欧阳**');
  // Two characters only: 欧 is the surname, not 欧阳.
  expect(maskName('欧阳')).toBe('欧*');
});

test('a mobile number keeps its first three and last four digits', () => {
  expect(maskMobile('13812345678')).toBe('138****5678');
});

test('what cannot be masked is withheld, and short values are starred whole', () => {
  expect(applyMask('id-number', 12345)).toBeNull();
  expect(applyMask('mobile', '12345')).toBe('*****');
  expect(applyMask('name', ['张三', '李四'])).toEqual(['张*', '李*']);
  expect(applyMask('name', null)).toBeNull();
});
