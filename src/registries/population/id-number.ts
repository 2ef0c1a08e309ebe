/** Citizen identity numbers (公民身份号码, GB 11643-1999), see DOMAIN.md §1. */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

export type Gender = 'male' | 'female';

export interface IdNumberParts {
  /** The 18-character number, check character upper case. */
  idNumber: string;
  /** GB/T 2260 code of the county of registration when the number was assigned. */
  addressCode: string;
  birthDate: string;
  gender: Gender;
}

export type IdNumberCheck = { ok: true; parts: IdNumberParts } | { ok: false; reason: string };

/** The check character of the first 17 digits (ISO 7064 MOD 11-2). */
export function idNumberCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK[sum % 11];
}

/** A real calendar day, not in the future. */
export function isRealDate(yyyymmdd: string, today = new Date()): boolean {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d && date <= today;
}

/**
 * Checks the form of an ID number: 18 characters with a right check character, or a legacy
 * 15-digit number (converted by inserting `19` and appending the check); a real birth date; and,
 * when the record states one, a gender agreeing with the sequence digit. Whether the address
 * code was ever a division code needs the division register: see `checkIdNumber`.
 */
export function parseIdNumber(raw: string, stated?: { gender?: Gender }): IdNumberCheck {
  let id = raw.trim().toUpperCase();
  if (/^\d{15}$/.test(id)) {
    const first17 = `${id.slice(0, 6)}19${id.slice(6)}`;
    id = first17 + idNumberCheckChar(first17);
  }
  if (!/^\d{17}[\dX]$/.test(id)) return { ok: false, reason: 'an ID number has 18 characters: 17 digits and a digit or X' };
  if (idNumberCheckChar(id) !== id[17]) return { ok: false, reason: 'bad checksum' };
  const birth = id.slice(6, 14);
  if (!isRealDate(birth)) return { ok: false, reason: 'impossible birth date' };
  const gender: Gender = Number(id[16]) % 2 === 1 ? 'male' : 'female';
  if (stated?.gender && stated.gender !== gender) return { ok: false, reason: `gender does not agree with the number (${gender})` };
  return {
    ok: true,
    parts: { idNumber: id, addressCode: id.slice(0, 6), birthDate: `${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6)}`, gender },
  };
}

/** `parseIdNumber`, and the address code must be a division code ever valid (any `valid_to`). */
export function checkIdNumber(raw: string, everValidCodes: ReadonlySet<string>, stated?: { gender?: Gender }): IdNumberCheck {
  const parsed = parseIdNumber(raw, stated);
  if (parsed.ok && !everValidCodes.has(parsed.parts.addressCode)) return { ok: false, reason: 'unknown division' };
  return parsed;
}

/** Builds a valid number from its parts (synthetic data, tests). */
export function makeIdNumber(addressCode: string, birthDate: string, sequence: number, gender: Gender): string {
  // The last digit of the sequence carries the gender: odd male, even female.
  const seq = sequence - (sequence % 2) + (gender === 'male' ? 1 : 0);
  const first17 = `${addressCode}${birthDate.replaceAll('-', '')}${String(seq % 1000).padStart(3, '0')}`;
  return first17 + idNumberCheckChar(first17);
}
