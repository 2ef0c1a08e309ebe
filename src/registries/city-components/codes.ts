import { CATEGORIES } from './classification.js';

export type CodeCheck = { ok: true } | { ok: false; reason: string };

/**
 * A component identifier (标识码): 16 digits = county (6, GB/T 2260) + category (2) + subclass (2)
 * + serial (6). The county part must name a county-level unit (digits 5–6 not 00); whether that
 * county exists is the registry's question, not the shape's.
 */
export function checkComponentCode(code: string): CodeCheck {
  if (!/^\d{16}$/.test(code)) return { ok: false, reason: 'an identifier has 16 digits: county (6), category (2), subclass (2), serial (6)' };
  if (code.slice(4, 6) === '00' || Number(code.slice(0, 2)) < 11 || Number(code.slice(0, 2)) > 82) {
    return { ok: false, reason: `${code.slice(0, 6)} is not a county-level division code` };
  }
  const category = checkCategory(code.slice(6, 8));
  if (!category.ok) return category;
  if (code.slice(8, 10) === '00') return { ok: false, reason: 'subclass digits 9–10 must be 01–99' };
  if (code.slice(10) === '000000') return { ok: false, reason: 'serial digits 11–16 must not be 000000' };
  return { ok: true };
}

export function checkCategory(category: string): CodeCheck {
  return category in CATEGORIES
    ? { ok: true }
    : { ok: false, reason: `category ${category} is not one of ${Object.keys(CATEGORIES).join(', ')}` };
}
