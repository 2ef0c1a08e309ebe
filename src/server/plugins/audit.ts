import { getOperationAST, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { readsResource } from '../../access/index.js';
import { draftFor } from '../../audit/index.js';
import type { HubContext, HubServices } from '../context.js';
import { HubError } from '../errors.js';

/**
 * Fail closed: an operation that could read a `@resource` type, or released any of its values, is
 * answered only after its audit entry is committed, refused ones included. If the entry cannot be
 * written the answer is replaced by `AUDIT_UNAVAILABLE` and no data goes out.
 * `record: false` exists for the benchmark's baseline only; the hub always records.
 */
export function useAuditTrail(hub: HubServices, { record = true } = {}): Plugin<HubContext> {
  return {
    onExecute({ args }) {
      if (!record) return;
      return {
        async onExecuteDone({ result, setResult }) {
          const { access } = args.contextValue;
          const reads = access.touched.size > 0 || readsResource(args.schema, args.document, args.operationName);
          if (!reads || !access.principal) return;
          // A streamed result (subscription, @defer) cannot be audited before it goes out: refused.
          if (!isSingleResult(result)) return setResult({ errors: [auditUnavailable()] });
          const operationName = getOperationAST(args.document, args.operationName)?.name?.value ?? null;
          try {
            await hub.audit.log.record(draftFor(access, { document: args.document, operationName }, result));
          } catch (err) {
            hub.logger.error({ err }, 'audit entry not written: answer withheld');
            setResult({ errors: [auditUnavailable()] });
          }
        },
      };
    },
  };
}

const auditUnavailable = () =>
  new HubError('AUDIT_UNAVAILABLE', 'The audit trail cannot be written; no data is released.', { http: { status: 503 } });

function isSingleResult(result: unknown): result is ExecutionResult {
  return typeof result === 'object' && result !== null && !(Symbol.asyncIterator in result);
}
