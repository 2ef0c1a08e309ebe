import { badUserInput } from './errors.js';

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * The instant a history look-up answers for: an ISO date (its midnight, UTC) or a date-time with
 * an offset. Now when omitted.
 */
export function parseAsOf(asOf: string | null | undefined, argument = 'asOf'): Date {
  if (asOf === null || asOf === undefined) return new Date();
  const date = asOf.length === 10;
  const at = new Date(date ? `${asOf}T00:00:00Z` : asOf);
  // A date that does not exist (2023-02-30) rolls over in JS: compare it with what was asked.
  const valid = ISO.test(asOf) && !Number.isNaN(at.getTime()) && (!date || at.toISOString().startsWith(asOf));
  if (!valid) throw badUserInput(argument, 'must be an existing ISO date (2024-06-30) or date-time with offset (2024-06-30T12:00:00+08:00)');
  return at;
}
