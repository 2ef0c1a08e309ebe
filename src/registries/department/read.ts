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
