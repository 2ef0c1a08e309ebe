/** Display masks (GB/T 35273 de-identification, typical practice): what an ungranted caller sees. */
export type DisplayMask = 'id-number' | 'name' | 'mobile';

// 复姓: for these the surname is two characters.
const COMPOUND_SURNAMES = new Set(['欧阳', '司马', '上官', '诸葛', '东方', '皇甫', '尉迟', '公孙', '慕容', '令狐', '长孙', '宇文', '司徒', '夏侯', '轩辕', '端木', '西门', '南宫', '独孤', '呼延']);

const stars = (n: number) => '*'.repeat(Math.max(n, 1));

/** `431102198503120211` → `431102********0211`: the county of issue and the last four stay. */
export function maskIdNumber(value: string): string {
  if (value.length <= 10) return stars(value.length);
  return `${value.slice(0, 6)}${stars(value.length - 10)}${value.slice(-4)}`;
}

/** `张三` → `张*`, `欧阳修文` → `欧阳**`: the surname stays. */
export function maskName(value: string): string {
  const chars = [...value];
  const surname = chars.length > 2 && COMPOUND_SURNAMES.has(chars.slice(0, 2).join('')) ? 2 : 1;
  return `${chars.slice(0, surname).join('')}${stars(chars.length - surname)}`;
}

/** `13812345678` → `138****5678`. */
export function maskMobile(value: string): string {
  if (value.length <= 7) return stars(value.length);
  return `${value.slice(0, 3)}${stars(value.length - 7)}${value.slice(-4)}`;
}

const masks: Record<DisplayMask, (value: string) => string> = { 'id-number': maskIdNumber, name: maskName, mobile: maskMobile };

/** Masks a string (or each string of a list); anything else cannot be masked and is withheld (`null`). */
export function applyMask(rule: DisplayMask, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') return masks[rule](value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.map(masks[rule]);
  return null;
}
