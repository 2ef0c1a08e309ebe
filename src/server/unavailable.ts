import { GraphQLError } from 'graphql';
import { isDatabaseUnavailable } from '../db/index.js';
import { HubError } from './errors.js';

export { isDatabaseUnavailable };

/** 503 with a stable code: the database did not answer; nothing was read, nothing released. */
export const databaseUnavailable = () =>
  new HubError('SOURCE_UNAVAILABLE', 'The hub database did not answer in time; nothing was released. Retry shortly.', {
    source: 'hub-database',
    http: { status: 503, headers: { 'retry-after': '1' } },
  });

/** For yoga's `maskError`: the database's unavailability becomes `SOURCE_UNAVAILABLE`, never an internal error. */
export function unavailableOrNull(error: unknown): GraphQLError | null {
  if (error instanceof HubError) return null;
  return isDatabaseUnavailable(error) ? databaseUnavailable() : null;
}
