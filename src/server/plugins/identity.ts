import type { Plugin } from 'graphql-yoga';
import { openAccessSession, PurposeRefused, readsResource, TokenRefused, type AccessSession } from '../../access/index.js';
import type { HubContext, HubServices } from '../context.js';
import { purposeRequired, unauthenticated } from '../errors.js';

/** The request's access session for the context factory: refused tokens and purposes become GraphQL errors. */
export async function accessSessionFor(request: Request, hub: HubServices): Promise<AccessSession> {
  try {
    return await openAccessSession(request.headers, hub.identity);
  } catch (err) {
    if (err instanceof TokenRefused) throw unauthenticated(err.reason);
    if (err instanceof PurposeRefused) throw purposeRequired(err.reason);
    throw err;
  }
}

/**
 * No purpose, no data: an operation that could read a `@resource` type stops before execution
 * unless the request stated a registered purpose. Decided once per parsed document (yoga caches
 * parsed documents, so a repeated query costs a WeakMap look-up).
 */
export function usePurposeBinding(): Plugin<HubContext> {
  const decided = new WeakMap<object, Map<string, boolean>>();
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (args.contextValue.access.purpose) return;
      let byOperation = decided.get(args.document);
      if (!byOperation) decided.set(args.document, (byOperation = new Map()));
      const key = args.operationName ?? '';
      let reads = byOperation.get(key);
      if (reads === undefined) byOperation.set(key, (reads = readsResource(args.schema, args.document, args.operationName)));
      if (reads) setResultAndStopExecution({ errors: [purposeRequired('missing-purpose')] });
    },
  };
}
