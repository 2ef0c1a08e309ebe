import type { HubKey } from '../audit/index.js';

/**
 * `/.well-known/jwks.json`: the hub's public signing key(s), so that anyone holding a signed
 * statement or checkpoint can verify it offline. Kept minimal and on its own so that the key
 * rotation work (several `kid`s) can replace it in one place.
 */
export function hubJwks(key: HubKey): { keys: Record<string, unknown>[] } {
  const { kty, crv, x } = key.publicJwk;
  return { keys: [{ kty, crv, x, kid: key.kid, alg: 'EdDSA', use: 'sig' }] };
}
