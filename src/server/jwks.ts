import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWK } from 'jose';
import { loadDevIssuer, type DevIssuer } from '../access/index.js';
import type { HubServices } from './context.js';

/** Where the hub publishes its public keys. */
export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * The hub's public keys as a JSON Web Key Set (RFC 7517), so that anyone can verify offline what
 * the hub signed: audit checkpoints (and statements and seals, with the same key) by their `kid`,
 * the current key and every retired one, since old signatures stay valid after a rotation. In
 * development with the development issuer on, its key too (so tokens from `huitong token` can be
 * checked). Public halves only: `kty`, `crv`, `x`, `kid`, `alg`, `use`.
 */
export async function hubJwks(hub: Pick<HubServices, 'audit' | 'config'>): Promise<{ keys: JWK[] }> {
  const hubKeys = (await hub.audit.keys.refresh()).all.map((k) => k.publicJwk);
  const dev = hub.config.devIssuer ? await devIssuerOf(hub.config.dataDir) : null;
  return { keys: dev ? [...hubKeys, dev.publicJwk] : hubKeys };
}

const devIssuers = new Map<string, Promise<DevIssuer>>();
/** The development issuer of a data directory, loaded once. */
export function devIssuerOf(dataDir: string): Promise<DevIssuer> {
  let issuer = devIssuers.get(dataDir);
  if (!issuer) {
    issuer = loadDevIssuer(dataDir);
    devIssuers.set(dataDir, issuer);
    issuer.catch(() => devIssuers.delete(dataDir));
  }
  return issuer;
}

/** `GET /.well-known/jwks.json`: cacheable for five minutes (a rotation shows within that). */
export async function serveJwks(hub: Pick<HubServices, 'audit' | 'config' | 'logger'>, res: ServerResponse<IncomingMessage>): Promise<void> {
  try {
    const body = JSON.stringify(await hubJwks(hub));
    res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'public, max-age=300' }).end(body);
  } catch (err) {
    hub.logger.error({ err }, 'JWKS unavailable');
    res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'keys unavailable' }));
  }
}
