import type { Conversion, FieldMapping } from './definition.js';

/** A raw record as a source delivered it. */
export type RawRecord = Record<string, unknown>;

export type Mapped = { ok: true; record: Record<string, unknown> } | { ok: false; errors: string[] };

const get = (raw: RawRecord, path: string): unknown => {
  let v: unknown = raw;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
};

/** Turns a source value into the record schema's shape; `undefined` with a reason when it cannot. */
function convert(value: unknown, as: Conversion, field: string, errors: string[]): unknown {
  if (value === null || value === undefined) return value;
  const refuse = (why: string) => {
    errors.push(`${field}: ${JSON.stringify(value)} ${why}`);
    return undefined;
  };
  switch (as) {
    case 'string':
      return typeof value === 'object' ? refuse('is not a scalar') : String(value);
    case 'trim':
      return typeof value === 'string' ? value.trim() : String(value).trim();
    case 'upper':
      return String(value).trim().toUpperCase();
    case 'number': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      return Number.isFinite(n) ? n : refuse('is not a number');
    }
    case 'integer': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      return Number.isInteger(n) ? n : refuse('is not a whole number');
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (['true', '1', 'yes', '是', 'Y'].includes(String(value).trim())) return true;
      if (['false', '0', 'no', '否', 'N'].includes(String(value).trim())) return false;
      return refuse('is not a yes/no value');
    case 'date': {
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? refuse('is not a date') : value.toISOString().slice(0, 10);
      const s = String(value).trim();
      const m = /^(\d{4})[-/.]?(\d{2})[-/.]?(\d{2})/.exec(s);
      return m ? `${m[1]}-${m[2]}-${m[3]}` : refuse('is not a date (YYYY-MM-DD)');
    }
    case 'list':
      if (Array.isArray(value)) return value;
      return String(value).split(/[;；,，]/).map((s) => s.trim()).filter(Boolean);
  }
}

/**
 * Maps a raw record onto the resource's record schema, field by field, with every error found
 * (not only the first), so that quarantine shows all that is wrong with a record at once. Fields
 * absent at the source are left out, so the record schema decides whether they were required.
 */
export function mapRecord(raw: RawRecord, mapping: Record<string, FieldMapping>): Mapped {
  const record: Record<string, unknown> = {};
  const errors: string[] = [];
  for (const [target, rule] of Object.entries(mapping)) {
    let value: unknown;
    if (typeof rule === 'string') value = get(raw, rule);
    else if ('const' in rule) value = rule.const;
    else {
      value = get(raw, rule.from!);
      if ((value === undefined || value === null || value === '') && rule.default !== undefined) value = rule.default;
      else {
        if (rule.values && value !== undefined && value !== null) {
          const code = String(value).trim();
          if (code in rule.values) value = rule.values[code];
          else {
            errors.push(`${target}: code ${JSON.stringify(value)} is not one of ${Object.keys(rule.values).join(', ')}`);
            value = undefined;
          }
        }
        if (rule.as) value = convert(value, rule.as, target, errors);
      }
    }
    if (value !== undefined) record[target] = value;
  }
  return errors.length ? { ok: false, errors } : { ok: true, record };
}

/** The record's source key: its key fields' values joined by `|`; null with the reason when one is missing. */
export function sourceKeyOf(raw: RawRecord, key: readonly string[]): { key: string } | { error: string } {
  const parts: string[] = [];
  for (const k of key) {
    const v = raw[k];
    if (v === null || v === undefined || v === '' || typeof v === 'object') return { error: `key field ${k} is missing or not a scalar` };
    parts.push(String(v));
  }
  return { key: parts.join('|') };
}
