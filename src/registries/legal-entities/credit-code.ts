/** Unified social credit codes (统一社会信用代码, GB 32100-2015), see DOMAIN.md §2. */

const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const FINAL_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];

/** Organisation types (pos. 2) allowed under each registration authority (pos. 1). */
const TYPES: Record<string, string> = {
  '1': '1239', '2': '19', '3': '123459', '4': '19', '5': '1239', '6': '129', '7': '129',
  '8': '19', '9': '123', A: '19', N: '1239', Y: '1',
};

export type CreditCodeCheck = { ok: true; creditCode: string } | { ok: false; reason: string };

/** Check character of the 8-character organisation code body (GB 11714): digits as is, A=10 … Z=35. */
export function organisationCheckChar(body8: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += parseInt(body8[i], 36) * ORG_WEIGHTS[i];
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

/** Final check character over the first 17 characters (GB/T 17710, modulus 31). */
export function creditCodeCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CHARSET.indexOf(first17[i]) * FINAL_WEIGHTS[i];
  return CHARSET[(31 - (sum % 31)) % 31];
}

/** Both check characters verified and the authority/type combination allowed. */
export function checkCreditCode(raw: string): CreditCodeCheck {
  const code = raw.trim().toUpperCase();
  if (code.length !== 18) return { ok: false, reason: 'a credit code has 18 characters' };
  const bad = [...code].find((c) => !CHARSET.includes(c));
  if (bad) return { ok: false, reason: `"${bad}" is not in the credit-code character set` };
  if (!/^\d{6}$/.test(code.slice(2, 8))) return { ok: false, reason: 'characters 3–8 are a division code (6 digits)' };
  if (creditCodeCheckChar(code) !== code[17]) return { ok: false, reason: 'bad checksum' };
  if (organisationCheckChar(code.slice(8, 16)) !== code[16]) return { ok: false, reason: 'bad organisation code checksum' };
  if (!TYPES[code[0]]?.includes(code[1])) return { ok: false, reason: `no organisation type ${code[1]} under registration authority ${code[0]}` };
  return { ok: true, creditCode: code };
}

/** Builds a valid code from authority, type, division and an 8-character organisation body. */
export function makeCreditCode(authority: string, type: string, division: string, body8: string): string {
  const first17 = `${authority}${type}${division}${body8}${organisationCheckChar(body8)}`;
  return first17 + creditCodeCheckChar(first17);
}
