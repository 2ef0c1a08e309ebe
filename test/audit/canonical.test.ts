import { describe, expect, test } from 'vitest';
import { canonicalContent, canonicalContentGeneral, type AuditDraft } from '../../src/audit/entry.js';

/** Entries as the hub writes them, with what strings can hold that JSON must escape. */
const awkward = ['', 'a"b', 'back\\slash', 'line\nfeed', 'tab\t', '\u0001', '汉字', '\u{1F600}', '\uD800', '</script>', 'é'];
const base: AuditDraft & { seq: number } = {
  seq: 42,
  at: new Date('2026-12-03T08:00:00.123Z'),
  department: 'civil-affairs',
  system: 'assistance',
  roles: ['consumer', 'auditor'],
  purpose: 'low-income-verification',
  caseNumber: 'MZ-2026-0001',
  operationName: null,
  documentHash: 'ab'.repeat(32),
  resources: [
    { resource: 'population.person', fields: ['arg:idNumber', 'name'], subjects: ['43112219800101001X'] },
    { resource: 'tax.income', fields: [], subjects: [] },
  ],
  subjects: ['43112219800101001X'],
  resultSize: 1234,
  outcome: 'partial:SOURCE_UNAVAILABLE',
};

describe('the audit entry content, written out for hashing', () => {
  test('is the RFC 8785 canonical JSON the general canonicaliser makes', () => {
    const variants: (AuditDraft & { seq: number })[] = [
      base,
      { ...base, purpose: null, caseNumber: null, operationName: 'Q', resources: [], subjects: [], resultSize: 0, roles: [] },
      { ...base, change: { action: 'approveAccessRequest', arguments: { id: 7, z: [1, { b: 2, a: '1' }] }, reason: 'ok', detail: null } },
      { ...base, change: null },
      ...awkward.map((s, i) => ({
        ...base,
        seq: i,
        department: s,
        operationName: s,
        outcome: s,
        roles: [s, s],
        resources: [{ resource: s, fields: [s], subjects: [s] }],
        subjects: [s],
        change: i % 2 ? { action: s, arguments: { [s]: s }, reason: s } : undefined,
      })),
    ];
    for (const entry of variants) expect(canonicalContent(entry)).toBe(canonicalContentGeneral(entry));
  });

  test('a resource holding more than the hub writes (a row of another version) is still canonical', () => {
    const entry = { ...base, resources: [{ ...base.resources[0], extra: { b: 1, a: 2 } }] };
    expect(canonicalContent(entry)).toBe(canonicalContentGeneral(entry));
  });
});
