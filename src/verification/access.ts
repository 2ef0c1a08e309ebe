import { subjectKey, type AccessSession } from '../access/index.js';
import type { HubServices } from '../server/context.js';
import { HubError, purposeRequired } from '../server/errors.js';
import type { Access } from './verify.js';

/** The catalogue resource verifications are released as, and the one of signed statements. */
export const VERIFICATION_RESOURCE = 'verification.low-income';
export const STATEMENT_RESOURCE = 'verification.statement';

/**
 * Enters what a verification read into the request's access record, so that the request's audit
 * entry (written by the audit plugin before the answer goes out) names every resource gathered and
 * every member it concerned, under the request's purpose and case number.
 */
export function recordAccess(access: AccessSession, accessed: readonly Access[]): void {
  if (!access.principal) throw new HubError('UNAUTHENTICATED', 'A signed token is needed to verify households.');
  if (!access.purpose) throw purposeRequired('verification reads protected data');
  for (const a of accessed) {
    let touched = access.touched.get(a.resource);
    if (!touched) access.touched.set(a.resource, (touched = { fields: new Set(), subjects: new Set() }));
    for (const f of a.fields) touched.fields.add(f);
    for (const s of a.subjects) touched.subjects.add(subjectKey(s));
  }
}

const today = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

/**
 * Who may run verifications (single or batch): a consumer system of the scheme's provider (civil
 * affairs), or of a department holding a live grant on `verification.low-income` for the scheme's
 * purpose, asking under that purpose. The attempt is entered in the audit trail either way.
 */
export function authorizeVerification(hub: HubServices, access: AccessSession, scheme: { provider: string; purpose: string }, action: string, subjects: string[] = []) {
  recordAccess(access, [{ resource: VERIFICATION_RESOURCE, fields: [`op:${action}`], subjects }]);
  const principal = access.principal!;
  const purpose = access.purpose!;
  if (purpose.code !== scheme.purpose) {
    throw new HubError('FORBIDDEN', `Verification runs under purpose ${scheme.purpose}, not ${purpose.code}.`, { reason: 'purpose-not-covered' });
  }
  if (!principal.roles.includes('consumer')) throw new HubError('FORBIDDEN', 'Verification needs a consumer system.', { reason: 'role-not-consumer' });
  const day = today();
  const granted =
    principal.department === scheme.provider ||
    hub.catalog.grants(principal.department, VERIFICATION_RESOURCE).some((g) => !g.revoked && g.purpose === scheme.purpose && g.validFrom <= day && day <= g.validUntil);
  if (!granted) throw new HubError('FORBIDDEN', `${principal.department} holds no grant to verify households.`, { reason: 'no-grant' });
  return { principal, purpose };
}
