/** Node socket errors and pg's own timeouts: the database did not answer. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Query read timeout',
  'Client has encountered a connection error',
  'connection timeout',
  'Connection ended',
  'Knex: Timeout acquiring a connection',
];

/**
 * Whether `err` (or what it wraps) says the database could not be reached or did not answer in
 * time, rather than that a query was wrong: connection refused or reset, a timeout, the server
 * shutting down or not yet accepting connections (57P01, 57P03), a cancelled statement (57014), or
 * too many connections (53300), and the connection exception class (08).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown; originalError?: unknown } | null, depth = 0; e && depth < 5; depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (NETWORK.has(code) || ['57P01', '57P02', '57P03', '57014', '53300'].includes(code) || code.startsWith('08')) return true;
    const message = typeof e.message === 'string' ? e.message : '';
    if (MESSAGES.some((m) => message.includes(m))) return true;
    if (Array.isArray((e as { errors?: unknown[] }).errors) && (e as { errors: unknown[] }).errors.some(isDatabaseUnavailable)) return true; // AggregateError
    e = (e.originalError ?? e.cause ?? null) as typeof e;
  }
  return false;
}
