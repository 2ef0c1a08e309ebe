export type CodeCheck = { ok: true } | { ok: false; reason: string };

/** Indicator codes are short slugs (`gdp`, `disposable-income-rural`). */
export function checkIndicatorCode(code: string): CodeCheck {
  return /^[a-z][a-z0-9-]{1,60}$/.test(code) ? { ok: true } : { ok: false, reason: 'an indicator code is a lower-case slug such as gdp' };
}

/** A period: a year (2023), a quarter (2023-Q2) or a month (2023-06). */
export function checkPeriod(period: string): CodeCheck {
  return /^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$/.test(period)
    ? { ok: true }
    : { ok: false, reason: 'a period is a year (2023), quarter (2023-Q2) or month (2023-06)' };
}

/**
 * Where a period starts, as a sortable month key: 2023 → 2023-01, 2023-Q2 → 2023-04,
 * 2023-06 → 2023-06; and where it ends: 2023 → 2023-12, 2023-Q2 → 2023-06.
 */
export function periodMonths(period: string): { first: string; last: string } {
  const year = period.slice(0, 4);
  if (period.length === 4) return { first: `${year}-01`, last: `${year}-12` };
  if (period[5] === 'Q') {
    const q = Number(period[6]);
    return { first: `${year}-${String(q * 3 - 2).padStart(2, '0')}`, last: `${year}-${String(q * 3).padStart(2, '0')}` };
  }
  return { first: period, last: period };
}
