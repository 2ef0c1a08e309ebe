import { createLocalJWKSet, createRemoteJWKSet, importJWK, type CryptoKey, type JWK, type JWTVerifyGetKey } from 'jose';
import type pg from 'pg';
import { ACCEPTED_ALGORITHMS, type AcceptedAlgorithm } from './algorithms.js';

/** A public key registered for one department system (`huitong key register`). */
export interface SystemKey {
  kid: string;
  department: string;
  system: string;
  alg: AcceptedAlgorithm;
  publicJwk: JWK;
}

/** Thrown when a token names a `kid` that no trusted source knows. */
export class UnknownKeyError extends Error {}

/** Least time between two reloads of the key table caused by unknown `kid`s. */
export const RELOAD_INTERVAL_MS = 1_000;

/**
 * Keys registered per department system, in the `system_key` table. Held in memory; a token
 * naming an unknown `kid` reloads the table, so a new key works at once. Reloads are single-flight
 * (callers arriving during one wait for it) and start at most once per `RELOAD_INTERVAL_MS`, so a
 * flood of made-up kids from unauthenticated callers costs the database one query a second.
 */
export class SystemKeys {
  private keys = new Map<string, { key: SystemKey; crypto: CryptoKey | Uint8Array }>();
  private reloadStartedAt = 0;
  private reloading: Promise<void> | null = null;

  constructor(private readonly pool: pg.Pool) {}

  async load(): Promise<void> {
    const { rows } = await this.pool.query<SystemKey>(
      `select kid, department, system, alg, public_jwk as "publicJwk" from system_key where revoked_at is null`,
    );
    const keys = new Map<string, { key: SystemKey; crypto: CryptoKey | Uint8Array }>();
    for (const key of rows) keys.set(key.kid, { key, crypto: await importJWK(key.publicJwk, key.alg) });
    this.keys = keys;
  }

  async find(kid: string): Promise<{ key: SystemKey; crypto: CryptoKey | Uint8Array }> {
    let found = this.keys.get(kid);
    if (!found) {
      await this.reloadForUnknownKid();
      found = this.keys.get(kid);
    }
    if (!found) throw new UnknownKeyError(kid);
    return found;
  }

  private reloadForUnknownKid(): Promise<void> {
    if (this.reloading) return this.reloading;
    if (Date.now() - this.reloadStartedAt < RELOAD_INTERVAL_MS) return Promise.resolve();
    this.reloadStartedAt = Date.now();
    this.reloading = this.load().finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }
}

/** Registers a department system's public key; the JWK must be public (no private members). */
export async function registerSystemKey(pool: pg.Pool, key: SystemKey): Promise<void> {
  if (!(ACCEPTED_ALGORITHMS as readonly string[]).includes(key.alg)) {
    throw new Error(`alg ${key.alg}: not one of ${ACCEPTED_ALGORITHMS.join(', ')}`);
  }
  if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((m) => m in key.publicJwk)) {
    throw new Error('the JWK holds private or symmetric key material; register the public key only');
  }
  await importJWK(key.publicJwk, key.alg); // refuses a key that does not fit the algorithm
  const { kid: _kid, d: _d, ...publicJwk } = key.publicJwk;
  try {
    await pool.query(
      `insert into system_key (kid, department, system, alg, public_jwk) values ($1, $2, $3, $4, $5)`,
      [key.kid, key.department, key.system, key.alg, publicJwk],
    );
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '23503') throw new Error(`department ${key.department} is not registered`);
    if (code === '23505') throw new Error(`a key with kid ${key.kid} is already registered`);
    if (code === '23514') throw new Error(`system ${key.system} or kid ${key.kid} is malformed`);
    throw err;
  }
}

/**
 * A trusted issuer's key set: fetched from its JWKS URL, cached for ten minutes, and refetched on an
 * unknown `kid` at most once a second (as registered keys are), so rotation works at once and a
 * flood of made-up kids costs the issuer one request a second.
 */
export function remoteKeySet(url: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(url), { cacheMaxAge: 10 * 60_000, cooldownDuration: 1_000, timeoutDuration: 5_000 });
}

export function localKeySet(keys: JWK[]): JWTVerifyGetKey {
  return createLocalJWKSet({ keys });
}
