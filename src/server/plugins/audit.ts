import { getOperationAST, type ExecutionResult, type GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { openAccessSession, PurposeRefused, readsResource, type Principal } from '../../access/index.js';
import { draftFor, refusalDraft } from '../../audit/index.js';
import type { HubContext, HubServices } from '../context.js';
import { HubError } from '../errors.js';
import { principals } from './identity.js';

/** `BAD_USER_INPUT` reasons that are operation limits: the attempt is refused, not mistaken. */
const LIMIT_REASONS = new Set(['max-depth', 'max-aliases', 'max-tokens', 'max-directives', 'max-cost', 'persisted-only', 'persisted-not-found']);
/** Codes that refuse a request before it runs. */
const REFUSAL_CODES = new Set(['UNAUTHENTICATED', 'PURPOSE_REQUIRED', 'RATE_LIMITED', 'FORBIDDEN']);

/**
 * Fail closed: an operation that could touch resource data, or released any of its values, is
 * answered only after its audit entry is committed, refused ones included. If the entry cannot be
 * written the answer is replaced by `AUDIT_UNAVAILABLE` and no data goes out.
 * Attempts refused before they run (a refused token or purpose, the rate limit, an operation limit)
 * are entered too, as `refused:<code>:<reason>`, whatever they asked for.
 * `record: false` exists for the benchmark's baseline only; the hub always records.
 */
export function useAuditTrail(hub: HubServices, { record = true } = {}): Plugin<HubContext> {
  const sent = new WeakMap<Request, { query: string | null; operationName: string | null }>();
  const executed = new WeakSet<Request>();
  return {
    onParams({ request, params }) {
      if (record) sent.set(request, { query: params.query ?? null, operationName: params.operationName ?? null });
    },
    onExecute({ args }) {
      if (!record) return;
      const request = (args.contextValue as HubContext & { request?: Request }).request;
      return {
        async onExecuteDone({ result, setResult }) {
          const { access } = args.contextValue;
          const reads = access.touched.size > 0 || readsResource(args.schema, args.document, args.operationName);
          // An operation that read nothing protected is entered only if it was refused (e.g. `FORBIDDEN`).
          if (!reads || !access.principal) return;
          if (request) executed.add(request);
          // A streamed result (subscription, @defer) cannot be audited before it goes out: refused.
          if (!isSingleResult(result)) return setResult({ errors: [auditUnavailable()] });
          const operationName = getOperationAST(args.document, args.operationName)?.name?.value ?? null;
          try {
            await hub.audit.log.record(draftFor(access, { document: args.document, operationName }, result));
          } catch (err) {
            hub.failures.report('audit entry not written: answer withheld', err); // once per interval with a count, not per request
            setResult({ errors: [auditUnavailable()] });
          }
        },
      };
    },
    async onResultProcess({ request, result, setResult }) {
      if (!record || executed.has(request) || Array.isArray(result) || !isSingleResult(result)) return;
      const refusal = refusalOf(result.errors ?? []);
      if (!refusal) return;
      const params = sent.get(request) ?? { query: null, operationName: null };
      try {
        await hub.audit.log.record(refusalDraft(principals.get(request) ?? (await callerOf(request, hub)), params, refusal));
      } catch (err) {
        // Nothing is released by a refusal; the caller is told the trail is down, as for any request.
        hub.failures.report('audit entry of a refused request not written', err);
        setResult({ errors: [auditUnavailable()] });
      }
    },
  };
}

/**
 * Who sent a request refused before its context was built (an operation limit is checked first):
 * its token verified now (verified tokens are cached), or nobody when it has none that verifies.
 */
async function callerOf(request: Request, hub: HubServices): Promise<Principal | null> {
  if (!request.headers.get('authorization')) return null;
  try {
    return (await openAccessSession(request.headers, hub.identity, hub.catalog)).principal;
  } catch (err) {
    return err instanceof PurposeRefused ? err.principal : null;
  }
}

function refusalOf(errors: readonly GraphQLError[]): { code: string; reason: string | null } | null {
  for (const error of errors) {
    const code = String(error.extensions?.code ?? '');
    const reason = typeof error.extensions?.reason === 'string' ? error.extensions.reason : null;
    if (REFUSAL_CODES.has(code) || (code === 'BAD_USER_INPUT' && reason && LIMIT_REASONS.has(reason))) return { code, reason };
  }
  return null;
}

const auditUnavailable = () =>
  new HubError('AUDIT_UNAVAILABLE', 'The audit trail cannot be written; no data is released.', { http: { status: 503 } });

function isSingleResult(result: unknown): result is ExecutionResult {
  return typeof result === 'object' && result !== null && !(Symbol.asyncIterator in result);
}
