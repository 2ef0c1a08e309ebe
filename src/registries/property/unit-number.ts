/** Real-estate unit numbers (不动产单元代码, GB/T 37346-2019) and certificates, see DOMAIN.md §7. */

export type UnitNumberCheck = { ok: true; unitNumber: string } | { ok: false; reason: string };

const OWNERS = 'GJZ';
const RIGHTS = 'ABSXCDEFHGWY';
/** Rights that only collectively owned (J) land carries. */
const COLLECTIVE_ONLY = 'AC';
const FIXTURES = 'FLQW';

export function checkUnitNumber(raw: string): UnitNumberCheck {
  const u = raw.trim().toUpperCase();
  if (u.length !== 28) return { ok: false, reason: 'a unit number has 28 characters' };
  if (!/^\d{12}$/.test(u.slice(0, 12))) return { ok: false, reason: 'characters 1–12 are county, cadastral area and sub-area digits' };
  const [owner, right] = [u[12], u[13]];
  if (!OWNERS.includes(owner)) return { ok: false, reason: `owner letter ${owner} is not one of G, J, Z` };
  if (!RIGHTS.includes(right)) return { ok: false, reason: `right letter ${right} is unknown` };
  if (COLLECTIVE_ONLY.includes(right) && owner !== 'J') return { ok: false, reason: `right ${right} exists only on collective (J) land` };
  if (!/^\d{5}$/.test(u.slice(14, 19))) return { ok: false, reason: 'the parcel number has 5 digits' };
  if (!FIXTURES.includes(u[19])) return { ok: false, reason: `fixture letter ${u[19]} is not one of F, L, Q, W` };
  if (!/^\d{8}$/.test(u.slice(20))) return { ok: false, reason: 'the fixture unit has 8 digits' };
  if (u[19] === 'W' && u.slice(20) !== '00000000') return { ok: false, reason: 'a unit without fixture ends in 00000000' };
  return { ok: true, unitNumber: u };
}

/** 湘(2023)永州市不动产权第0001234号, or 不动产证明 for other rights (mortgages). */
export const CERTIFICATE_NUMBER = /^[\u4e00-\u9fa5]\(\d{4}\)[\u4e00-\u9fa5]+不动产(权|证明)第\d{7}号$/;

export function certificateNumber(year: number, serial: number, kind: '权' | '证明' = '权'): string {
  return `湘(${year})永州市不动产${kind}第${String(serial).padStart(7, '0')}号`;
}
