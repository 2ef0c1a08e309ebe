import type { Plugin } from 'graphql-yoga';
import { openAccessSession, PurposeRefused, readsResource, TokenRefused, type AccessSession, type Principal } from '../../access/index.js';
import type { HubContext, HubServices } from '../context.js';
import { purposeRequired, unauthenticated } from '../errors.js';

/** Who a request's verified token names, for auditing a refusal that comes before execution. */
export const principals = new WeakMap<Request, Principal>();

/** The request's access session for the context factory: refused tokens and purposes become GraphQL errors. */
export async function accessSessionFor(request: Request, hub: HubServices): Promise<AccessSession> {
  try {
    const session = await openAccessSession(request.headers, hub.identity, hub.catalog);
    if (session.principal) principals.set(request, session.principal);
    return session;
  } catch (err) {
    if (err instanceof PurposeRefused && err.principal) principals.set(request, err.principal);
    if (err instanceof TokenRefused) {
      hub.logger.info({ reason: err.reason }, 'token refused');
      throw unauthenticated(err.reason);
    }
    if (err instanceof PurposeRefused) throw purposeRequired(err.reason);
    throw err;
  }
}

/** No purpose, no data: an operation that could read a `@resource` type stops before execution unless the request stated a registered purpose. */
export function usePurposeBinding(): Plugin<HubContext> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (args.contextValue.access.purpose) return;
      if (readsResource(args.schema, args.document, args.operationName)) {
        setResultAndStopExecution({ errors: [purposeRequired('missing-purpose')] });
      }
    },
  };
}
