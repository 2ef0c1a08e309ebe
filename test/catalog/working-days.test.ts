import { expect, test } from 'vitest';
import { addWorkingDays } from '../../src/catalog/index.js';

test('ten working days skip two weekends', () => {
  // Tuesday 2026-11-24 → Tuesday 2026-12-08.
  expect(addWorkingDays('2026-11-24', 10)).toBe('2026-12-08');
  // Friday → the Friday two weeks on.
  expect(addWorkingDays('2026-11-27', 10)).toBe('2026-12-11');
  // A request made on a Saturday starts counting on Monday.
  expect(addWorkingDays('2026-11-28', 10)).toBe('2026-12-11');
});
