/** The only signature algorithms a token may use: no `none`, no HMAC (a public key must never be a secret). */
export const ACCEPTED_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export type AcceptedAlgorithm = (typeof ACCEPTED_ALGORITHMS)[number];
