import { badUserInput } from './errors.js';

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-](\d{2}):(\d{2})))?$/;

/** True when year-month-day names a day of the calendar (no 30 February, no month 13). */
export function isRealDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/**
 * The instant a history look-up answers for: an ISO date (its midnight, UTC) or a date-time with
 * an offset. Now when omitted. A day that does not exist is refused in both forms: JavaScript's
 * `Date` rolls `2023-02-30T00:00:00Z` over to 2 March, so the parts are checked before parsing,
 * and so are the hour, minute, second and offset.
 */
export function parseAsOf(asOf: string | null | undefined, argument = 'asOf'): Date {
  if (asOf === null || asOf === undefined) return new Date();
  const m = ISO.exec(asOf);
  const valid =
    !!m &&
    isRealDay(Number(m[1]), Number(m[2]), Number(m[3])) &&
    (m[4] === undefined ||
      (Number(m[4]) <= 23 && Number(m[5]) <= 59 && Number(m[6] ?? 0) <= 59 && (m[8] === undefined || (Number(m[8]) <= 14 && Number(m[9]) <= 59))));
  const at = valid ? new Date(m[4] === undefined ? `${asOf}T00:00:00Z` : asOf) : null;
  if (!at || Number.isNaN(at.getTime())) {
    throw badUserInput(argument, 'must be an existing ISO date (2024-06-30) or date-time with offset (2024-06-30T12:00:00+08:00)');
  }
  return at;
}

/** YYYY-MM-DD, a real day; null when omitted. */
export function parseDay(value: string | null | undefined, argument: string): string | null {
  if (value === null || value === undefined) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m || !isRealDay(Number(m[1]), Number(m[2]), Number(m[3]))) throw badUserInput(argument, 'not a real date (YYYY-MM-DD)');
  return value;
}
