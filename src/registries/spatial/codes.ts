/**
 * Shapes of spatial codes. Division codes: GB/T 2260 (6 digits) for provinces, prefectures and
 * counties; statistical codes (统计用区划代码) of 9 digits for townships and 12 for villages, whose
 * township part is 001–599 (GB/T 10114: 街道, 镇, 乡, 政企合一 units) and village part 001–599.
 * Grid and standard-address codes have no national coding scheme: the hub numbers them under
 * their village (village code + 3-digit grid serial; village code + 6-digit address serial).
 */
export type CodeCheck = { ok: true } | { ok: false; reason: string };

const ok: CodeCheck = { ok: true };
const fail = (reason: string): CodeCheck => ({ ok: false, reason });

const inRange = (part: string, low: number, high: number) => Number(part) >= low && Number(part) <= high;

export function checkDivisionCode(code: string): CodeCheck {
  if (!/^(\d{6}|\d{9}|\d{12})$/.test(code)) return fail('a division code has 6, 9 or 12 digits');
  if (!inRange(code.slice(0, 2), 11, 82)) return fail(`${code.slice(0, 2)} is not a province code`);
  if (code.length >= 9) {
    if (code.slice(4, 6) === '00') return fail('a township code starts with a county code');
    if (!inRange(code.slice(6, 9), 1, 599)) return fail('township digits 7–9 must be 001–599');
  }
  if (code.length === 12 && !inRange(code.slice(9, 12), 1, 599)) return fail('village digits 10–12 must be 001–599');
  return ok;
}

/** The prefix every descendant's code starts with: 430000 → 43, 431100 → 4311, 431103 → 431103. */
export function descendantPrefix(code: string): string {
  if (code.length !== 6) return code;
  if (code.endsWith('0000')) return code.slice(0, 2);
  if (code.endsWith('00')) return code.slice(0, 4);
  return code;
}

export function checkGridCode(code: string): CodeCheck {
  if (!/^\d{15}$/.test(code)) return fail('a grid code has 15 digits: village code (12) and serial (3)');
  const village = checkDivisionCode(code.slice(0, 12));
  return village.ok ? ok : fail(`its village part: ${village.reason}`);
}

export function checkAddressCode(code: string): CodeCheck {
  if (!/^\d{18}$/.test(code)) return fail('a standard address code has 18 digits: village code (12) and serial (6)');
  const village = checkDivisionCode(code.slice(0, 12));
  return village.ok ? ok : fail(`its village part: ${village.reason}`);
}

/** Longitude −180…180 and latitude −90…90, in degrees (WGS 84 / CGCS2000 alike at this scale). */
export function checkCoordinates(lng: number, lat: number): { argument: 'lng' | 'lat'; reason: string } | null {
  if (!Number.isFinite(lng) || lng < -180 || lng > 180) return { argument: 'lng', reason: 'longitude must be between -180 and 180' };
  if (!Number.isFinite(lat) || lat < -90 || lat > 90) return { argument: 'lat', reason: 'latitude must be between -90 and 90' };
  return null;
}
