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

/**
 * What `financialAssets` needs of the lookup sources, by shape (`LookupSources` is one), so that a
 * caller can hand it any set of sources that answer like them.
 */
export interface LookupAsker {
  forResource(resource: string):
    | {
        /** `department/system`, as calls are named in the audit trail. */
        readonly name: string;
        readonly definition: { readonly timeoutMs?: number; readonly baseUrl?: string | null };
        lookup(resource: string, subject: string): Promise<
          { ok: true; records: Record<string, unknown>[]; fetchedAt: string; from?: string } | { ok: false; reason: string; detail: string }
        >;
      }
    | undefined;
}

/** One call made at a source, for the audit entry of the request that caused it (`call:<name>:<outcome>`). */
export interface LookupCall {
  resource: string;
  name: string;
  subject: string;
  outcome: string;
}

const DEPOSIT = 'financial-institutions.deposit';
const SECURITIES = 'financial-institutions.securities';

/** Why a lookup gave nothing, in words a report can carry. */
function failureText(resource: string, answer: { reason: string; detail: string }, timeoutMs: number | undefined): string {
  if (answer.reason === 'timeout') return `${resource}: no answer within ${timeoutMs ?? '?'} ms`;
  if (answer.reason === 'breaker-open') return `${resource}: breaker open after repeated failures; the source is not asked for now`;
  if (answer.reason === 'invalid') return `${resource}: ${answer.detail}`;
  return `${resource}: ${answer.reason} (${answer.detail})`;
}

/**
 * Item 12 for many persons from the financial-institutions lookup sources: deposits (current and
 * fixed), wealth products and securities, summed per ID number, every person and both resources
 * asked in parallel (each within its source's timeout, cache and breaker; each call reported to
 * `onCall`). All or nothing, and never a zero for what is missing: one subject the sources did not
 * answer for, or a record without its number, makes the whole answer unavailable.
 */
export async function financialAssets(
  lookups: LookupAsker,
  idNumbers: readonly string[],
  options: { deposits?: string; securities?: string; onCall?: (call: LookupCall) => void } = {},
): Promise<
  | { ok: true; holdings: Record<string, FinancialAssets>; fetchedAt: string; system: string }
  | { ok: false; reason: string; detail: string; resource: string; system: string }
> {
  const deposit = options.deposits ?? DEPOSIT;
  const securities = options.securities ?? SECURITIES;
  const sources = [lookups.forResource(deposit), lookups.forResource(securities)] as const;
  const system = [...new Set(sources.flatMap((s) => (s ? [s.name] : [])))].join(',') || 'financial-institutions';
  for (const [i, resource] of [deposit, securities].entries()) {
    if (!sources[i]) return { ok: false, reason: 'not-configured', detail: `${resource} has no lookup source`, resource, system };
  }
  const ask = (i: 0 | 1, resource: string) =>
    Promise.all(
      idNumbers.map(async (id) => {
        const answer = await sources[i]!.lookup(resource, id);
        options.onCall?.({ resource, name: sources[i]!.name, subject: id, outcome: answer.ok ? (answer.from ?? 'source') : answer.reason });
        return answer;
      }),
    );
  const [deposits, held] = await Promise.all([ask(0, deposit), ask(1, securities)]);
  const holdings: Record<string, FinancialAssets> = {};
  let fetchedAt = '';
  const number = (r: Record<string, unknown>, field: string) => (typeof r[field] === 'number' && Number.isFinite(r[field]) ? (r[field] as number) : null);
  const round = (n: number) => Math.round(n * 100) / 100;
  for (const [k, id] of idNumbers.entries()) {
    const d = deposits[k];
    const s = held[k];
    if (!d.ok) return { ok: false, reason: d.reason, detail: failureText(deposit, d, sources[0]!.definition.timeoutMs), resource: deposit, system: sources[0]!.name };
    if (!s.ok) return { ok: false, reason: s.reason, detail: failureText(securities, s, sources[1]!.definition.timeoutMs), resource: securities, system: sources[1]!.name };
    const sums = { deposits: 0, wealthProducts: 0, securities: 0 };
    for (const r of d.records) {
      const n = number(r, 'balance');
      if (n === null) return { ok: false, reason: 'invalid', detail: `${deposit}: a record without balance`, resource: deposit, system: sources[0]!.name };
      if (r.kind === 'wealth') sums.wealthProducts += n;
      else sums.deposits += n;
    }
    for (const r of s.records) {
      const n = number(r, 'marketValue');
      if (n === null) return { ok: false, reason: 'invalid', detail: `${securities}: a record without marketValue`, resource: securities, system: sources[1]!.name };
      sums.securities += n;
    }
    holdings[id] = { deposits: round(sums.deposits), wealthProducts: round(sums.wealthProducts), securities: round(sums.securities) };
    for (const at of [d.fetchedAt, s.fetchedAt]) if (at > fetchedAt) fetchedAt = at;
  }
  return { ok: true, holdings, fetchedAt, system };
}
