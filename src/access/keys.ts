import { createLocalJWKSet, createRemoteJWKSet, importJWK, type CryptoKey, type JWK, type JWTVerifyGetKey } from 'jose';
import type pg from 'pg';
import { ACCEPTED_ALGORITHMS, type AcceptedAlgorithm } from './algorithms.js';
import { ROLES, type Role } from './dev-issuer.js';

/** A public key registered for one department system (`huitong key register`). */
export interface SystemKey {
  kid: string;
  department: string;
  system: string;
  alg: AcceptedAlgorithm;
  publicJwk: JWK;
  /** The roles tokens signed with this key may claim. */
  roles: readonly Role[];
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
      `select kid, department, system, alg, public_jwk as "publicJwk", roles from system_key where revoked_at is null`,
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

/**
 * Registers a department system's public key with the roles its tokens may claim; the JWK must be
 * public (no private members). Runs on the caller's connection (`huitong key register` commits it
 * only with its audit entry).
 */
export async function registerSystemKey(pool: pg.Pool | pg.PoolClient, key: SystemKey): Promise<void> {
  if (!key.roles.length || !key.roles.every((r) => (ROLES as readonly string[]).includes(r))) {
    throw new Error(`roles: give one or more of ${ROLES.join(', ')}`);
  }
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
      `insert into system_key (kid, department, system, alg, public_jwk, roles) values ($1, $2, $3, $4, $5, $6)`,
      [key.kid, key.department, key.system, key.alg, publicJwk, [...new Set(key.roles)]],
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
 * Revokes a registered key: every instance drops it at once (the `system_key` change is announced
 * on `huitong_registers`, and tokens it verified are forgotten). Returns the key as it was.
 */
export async function revokeSystemKey(db: pg.Pool | pg.PoolClient, kid: string, reason: string): Promise<{ department: string; system: string } > {
  if (!reason.trim()) throw new Error('--reason: say why the key is revoked');
  const { rows } = await db.query<{ department: string; system: string; revoked: boolean }>(
    'select department, system, revoked_at is not null as revoked from system_key where kid = $1 for update',
    [kid],
  );
  if (!rows.length) throw new Error(`no key with kid ${kid} is registered`);
  if (rows[0].revoked) throw new Error(`key ${kid} is already revoked`);
  await db.query('update system_key set revoked_at = now(), revoke_reason = $2 where kid = $1', [kid, reason]);
  return rows[0];
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
