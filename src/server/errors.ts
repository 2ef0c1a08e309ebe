import { GraphQLError } from 'graphql';

/** Stable codes that callers branch on; tests assert the code, never the message. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'PURPOSE_REQUIRED'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'SOURCE_UNAVAILABLE'
  | 'RATE_LIMITED'
  | 'AUDIT_UNAVAILABLE'
  /** The thing is busy elsewhere (a connector already running). */
  | 'CONFLICT';

export class HubError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { code, ...details } });
  }
}

export const badUserInput = (argument: string, reason: string) =>
  new HubError('BAD_USER_INPUT', `${argument}: ${reason}`, { argument, reason });

export const notFound = (what: string, key: string) => new HubError('NOT_FOUND', `${what} ${key} was not found.`, { key });

export const sourceUnavailable = (department: string, details: Record<string, unknown> = {}) =>
  new HubError('SOURCE_UNAVAILABLE', `${department} did not answer; the rest of the answer stands.`, { department, ...details });

/** 401: no token, or one refused; `reason` says which check failed, never anything about the keys. */
export const unauthenticated = (reason: string) =>
  new HubError('UNAUTHENTICATED', `The bearer token was refused: ${reason}.`, {
    reason,
    http: { status: 401, headers: { 'www-authenticate': 'Bearer' } },
  });

/** The operation reads protected data, or states a purpose, without a registered purpose and case number. */
export const purposeRequired = (reason: string) =>
  new HubError('PURPOSE_REQUIRED', `State a registered purpose in X-Purpose and the case in X-Case-Number (${reason}).`, { reason });
