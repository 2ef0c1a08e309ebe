import type { LookupAnswer, LookupSources } from './lookup.js';

/**
 * Asks the lookup source of `resource` about each subject, in parallel, within its timeout, cache
 * and breaker; a resource no lookup source serves answers `not-configured`. No access policy is
 * applied: callers answering a request apply the guard and name the call in the audit entry
 * (`AccessSession.call`).
 */
export async function lookupSource(lookups: LookupSources, resource: string, subjects: readonly string[]): Promise<Map<string, LookupAnswer>> {
  const source = lookups.forResource(resource);
  const answers = await Promise.all(
    subjects.map(async (s): Promise<[string, LookupAnswer]> => [
      s,
      source ? await source.lookup(resource, s) : { ok: false, reason: 'not-configured', detail: `${resource} has no lookup source`, ms: 0 },
    ]),
  );
  return new Map(answers);
}

/** A person's financial assets in yuan, as the low-income check weighs them (DOMAIN.md §5, item 12). */
export interface FinancialAssets {
  deposits: number;
  wealthProducts: number;
  securities: number;
}

const DEPOSIT = 'financial-institutions.deposit';
const SECURITIES = 'financial-institutions.securities';
const sum = (records: Record<string, unknown>[], field: string, keep: (r: Record<string, unknown>) => boolean = () => true) =>
  Math.round(records.filter(keep).reduce((total, r) => total + (typeof r[field] === 'number' ? (r[field] as number) : 0), 0) * 100) / 100;

/**
 * Item 12 for many persons from the financial-institutions lookup sources: deposits (current and
 * fixed), wealth products and securities, summed per ID number. All or nothing: one subject the
 * sources did not answer for makes the whole answer unavailable, never a zero.
 */
export async function financialAssets(
  lookups: LookupSources,
  idNumbers: readonly string[],
): Promise<{ ok: true; holdings: Record<string, FinancialAssets>; fetchedAt: string; system: string } | { ok: false; reason: string; detail: string }> {
  const [deposits, securities] = await Promise.all([lookupSource(lookups, DEPOSIT, idNumbers), lookupSource(lookups, SECURITIES, idNumbers)]);
  const holdings: Record<string, FinancialAssets> = {};
  let fetchedAt = '';
  for (const id of idNumbers) {
    const d = deposits.get(id)!;
    const s = securities.get(id)!;
    if (!d.ok) return { ok: false, reason: d.reason, detail: `${DEPOSIT}: ${d.detail}` };
    if (!s.ok) return { ok: false, reason: s.reason, detail: `${SECURITIES}: ${s.detail}` };
    holdings[id] = {
      deposits: sum(d.records, 'balance', (r) => r.kind !== 'wealth'),
      wealthProducts: sum(d.records, 'balance', (r) => r.kind === 'wealth'),
      securities: sum(s.records, 'marketValue'),
    };
    for (const at of [d.fetchedAt, s.fetchedAt]) if (at > fetchedAt) fetchedAt = at;
  }
  return { ok: true, holdings, fetchedAt, system: lookups.forResource(DEPOSIT)?.name ?? 'financial-institutions' };
}
