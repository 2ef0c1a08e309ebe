import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { addWorkingDays, calendarPublished, DECISION_WORKING_DAYS, isWorkingDay, reloadCalendar } from '../../src/catalog/working-days.js';

/** The 10-working-day reply limit counts China's public holidays and make-up working days (调休). */
describe('the reply limit over public holidays', () => {
  test('National Day 2026: the Golden Week is not counted, the make-up Saturday is', () => {
    // Monday 28 September; 1–7 October off; Saturday 10 October is a working day (调休).
    expect(isWorkingDay('2026-10-01')).toBe(false);
    expect(isWorkingDay('2026-10-07')).toBe(false);
    expect(isWorkingDay('2026-10-10')).toBe(true);
    expect(addWorkingDays('2026-09-28', DECISION_WORKING_DAYS)).toBe('2026-10-16');
  });

  test('Spring Festival 2026: nine days off, two Saturdays worked', () => {
    // Tuesday 10 February: 11, 12, 13, Sat 14 (调休), [15–23 off], 24, 25, 26, 27, Sat 28 (调休), Mon 2 March.
    expect(addWorkingDays('2026-02-10', 10)).toBe('2026-03-02');
  });

  test('an ordinary fortnight is still two weeks', () => {
    expect(addWorkingDays('2026-11-24', 10)).toBe('2026-12-08');
  });

  test('a year whose arrangements are not published yet still skips its statutory holidays', () => {
    expect(calendarPublished(2026)).toBe(true);
    expect(calendarPublished(2031)).toBe(false);
    // 2031-01-01 is a Wednesday: New Year's Day. 1–3 October 2029 are Monday to Wednesday: National Day.
    expect(isWorkingDay('2031-01-01')).toBe(false);
    expect(isWorkingDay('2031-01-02')).toBe(true);
    expect(addWorkingDays('2029-09-28', 3)).toBe('2029-10-08');
  });
});

describe('a calendar file for a year the package does not have yet', () => {
  let dir: string;
  afterAll(async () => {
    reloadCalendar();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('its holidays and make-up days are counted', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'huitong-calendar-'));
    const file = path.join(dir, 'calendar.json');
    // A made-up arrangement for 2031, to show the file is read: Friday 3 January off, Saturday 4 worked.
    await writeFile(file, JSON.stringify({ holidays: { '2031-01-01': '元旦', '2031-01-03': '元旦' }, workdays: { '2031-01-04': '元旦调休' } }));
    reloadCalendar(file);
    expect(calendarPublished(2031)).toBe(true);
    expect(isWorkingDay('2031-01-03')).toBe(false);
    expect(isWorkingDay('2031-01-04')).toBe(true);
    expect(addWorkingDays('2031-01-02', 2)).toBe('2031-01-06');
  });
});
