import { createHash } from 'node:crypto';
import { print, type DocumentNode, type ExecutionResult } from 'graphql';
import type { AccessSession } from '../access/index.js';
import type { AuditDraft, ResourceAccess } from './entry.js';

const documentHashes = new WeakMap<DocumentNode, string>();

/** SHA-256 of the printed document, computed once per parsed document. */
export function documentHash(document: DocumentNode): string {
  let hash = documentHashes.get(document);
  if (!hash) documentHashes.set(document, (hash = createHash('sha256').update(print(document)).digest('hex')));
  return hash;
}

/** Error codes that mean the request was refused rather than failed. */
const REFUSALS = new Set(['PURPOSE_REQUIRED', 'FORBIDDEN', 'UNAUTHENTICATED', 'RATE_LIMITED']);

/** The audit entry for one executed operation, from what its access session released. */
export function draftFor(access: AccessSession, operation: { document: DocumentNode; operationName: string | null }, result: ExecutionResult): AuditDraft {
  const codes = [...new Set((result.errors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL')))].sort();
  const outcome = !codes.length
    ? 'ok'
    : codes.some((c) => REFUSALS.has(c))
      ? `denied:${codes.join(',')}`
      : `${result.data ? 'partial' : 'failed'}:${codes.join(',')}`;
  return releasedDraft(access, {
    operationName: operation.operationName,
    documentHash: documentHash(operation.document),
    resultSize: result.data ? Buffer.byteLength(JSON.stringify(result.data)) : 0,
    outcome,
  });
}

/**
 * The audit entry for what an access session released: who, why, and each resource with its
 * fields and subjects. GraphQL operations and the hub's other data routes (reports, exports) alike.
 */
export function releasedDraft(
  access: AccessSession,
  what: Pick<AuditDraft, 'operationName' | 'documentHash' | 'resultSize' | 'outcome'>,
): AuditDraft {
  const principal = access.principal!;
  const resources: ResourceAccess[] = [...access.touched]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([resource, t]) => ({ resource, fields: [...t.fields].sort(), subjects: [...t.subjects].sort() }));
  return {
    at: new Date(),
    department: principal.department,
    system: principal.system,
    roles: [...principal.roles],
    purpose: access.purpose?.code ?? null,
    caseNumber: access.purpose?.caseNumber ?? null,
    ...what,
    resources,
    subjects: [...new Set(resources.flatMap((r) => r.subjects))].sort(),
  };
}

/** Stands for the caller when a request is refused before its token names anybody. */
export const UNAUTHENTICATED_CALLER = '(unauthenticated)';

/**
 * The entry for an attempt refused before it ran (token, purpose, rate limit, operation limits):
 * who, if the token was verified, what was sent (the SHA-256 of the document's text as received,
 * since a refused document may not even parse) and `refused:<code>:<reason>`.
 */
export function refusalDraft(
  principal: { department: string; system: string; roles: readonly string[] } | null,
  request: { query: string | null; operationName: string | null },
  refusal: { code: string; reason: string | null },
): AuditDraft {
  return {
    at: new Date(),
    department: principal?.department ?? UNAUTHENTICATED_CALLER,
    system: principal?.system ?? UNAUTHENTICATED_CALLER,
    roles: principal ? [...principal.roles] : [],
    purpose: null,
    caseNumber: null,
    operationName: request.operationName,
    documentHash: createHash('sha256').update(request.query ?? '').digest('hex'),
    resources: [],
    subjects: [],
    resultSize: 0,
    outcome: `refused:${refusal.code}${refusal.reason ? `:${refusal.reason}` : ''}`,
  };
}
