import { createHash, randomBytes } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import { CompactSign, compactVerify, decodeProtectedHeader, type CryptoKey, type JWK } from 'jose';
import { importJWK } from 'jose';
import type { HubKey } from '../audit/index.js';

const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined;

/** The JWS `typ` of a prefill seal. */
export const SEAL_TYPE = 'huitong-prefill-seal+jws';

/** What a seal says of one locked field: a salted digest of its value and the versions of its source records. */
export interface SealedField {
  digest: string;
  /** `validFrom` of each source record as released (null where withheld), in order. */
  versions: (string | null)[];
}

/** The claims of a seal, signed by the hub's key (EdDSA). */
export interface SealClaims {
  iss: 'huitong';
  /** The subject: ID number or credit code. */
  sub: string;
  form: string;
  formVersion: string;
  /** When the prefill was made (ISO 8601), and the same in seconds. */
  preparedAt: string;
  iat: number;
  /** Who asked and why. */
  department: string;
  system: string;
  purpose: string;
  caseNumber: string;
  /**
   * Random per seal: digests are salted so that a seal seen in a log or a workflow's store does
   * not reveal values by a dictionary; whoever holds a value can still check it.
   */
  salt: string;
  /** Locked fields only, by name. */
  fields: Record<string, SealedField>;
}

/** SHA-256 over the salt and the value's canonical JSON (RFC 8785), base64url. */
export function digestOf(salt: string, value: unknown): string {
  return createHash('sha256').update(`${salt}\n${canonicalize(value ?? null) ?? 'null'}`).digest('base64url');
}

export const newSalt = () => randomBytes(16).toString('base64url');

export async function signSeal(key: HubKey, claims: SealClaims): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: SEAL_TYPE })
    .sign(key.privateKey);
}

export type SealRefusal = 'malformed' | 'unknown-key' | 'bad-signature' | 'not-a-seal';

export class SealRefused extends Error {
  constructor(readonly reason: SealRefusal) {
    super(`seal refused: ${reason}`);
  }
}

/**
 * The claims of a seal made by one of `keys` (the hub's current key; retired ones too once the
 * hub publishes them), or `SealRefused` saying why not. Anybody can do the same offline with the
 * hub's public key (JWKS): EdDSA over the compact JWS.
 */
export async function openSeal(jws: string, keys: readonly { kid: string; publicKey: CryptoKey | Uint8Array | JWK }[]): Promise<SealClaims> {
  let kid: string | undefined;
  let typ: string | undefined;
  try {
    ({ kid, typ } = decodeProtectedHeader(jws));
  } catch {
    throw new SealRefused('malformed');
  }
  if (typ !== SEAL_TYPE) throw new SealRefused('not-a-seal');
  const key = keys.find((k) => k.kid === kid);
  if (!key) throw new SealRefused('unknown-key');
  const publicKey = isJwk(key.publicKey) ? await importJWK(key.publicKey, 'EdDSA') : key.publicKey;
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, publicKey, { algorithms: ['EdDSA'] }));
  } catch {
    throw new SealRefused('bad-signature');
  }
  try {
    const claims = JSON.parse(new TextDecoder().decode(payload)) as SealClaims;
    if (claims.iss !== 'huitong' || typeof claims.form !== 'string' || typeof claims.fields !== 'object') throw new Error('claims');
    return claims;
  } catch {
    throw new SealRefused('malformed');
  }
}

function isJwk(k: unknown): k is JWK {
  return typeof k === 'object' && k !== null && 'kty' in k;
}
