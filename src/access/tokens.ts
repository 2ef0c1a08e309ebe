import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ACCEPTED_ALGORITHMS } from './algorithms.js';
import { DEV_ISSUER, ROLES, type DevIssuer, type Role } from './dev-issuer.js';
import { localKeySet, remoteKeySet, UnknownKeyError, type SystemKeys } from './keys.js';
import type { Registers } from './registers.js';
import { CITIZEN_DEPARTMENT, type Principal } from './session.js';

/** Why a token was refused: stable, and never a word about the keys themselves. */
export type RefusalReason =
  | 'missing-token'
  | 'malformed'
  | 'alg-not-allowed'
  | 'bad-signature'
  | 'unknown-key'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'expired'
  | 'not-yet-valid'
  | 'missing-claim'
  | 'unknown-role'
  | 'role-not-granted'
  | 'unknown-department'
  | 'key-mismatch'
  | 'keys-unavailable';

export class TokenRefused extends Error {
  constructor(readonly reason: RefusalReason) {
    super(`token refused: ${reason}`);
  }
}

export interface TokenVerifierOptions {
  /** Audience every token must name. */
  audience: string;
  /** The development issuer, when it is trusted. */
  devIssuer: DevIssuer | null;
  /** Trusted issuers and the JWKS URL of each. */
  jwksIssuers: Record<string, string>;
  /** Citizen identity issuers and the JWKS URL of each: their tokens are citizen tokens only. (Default: none) */
  citizenIssuers?: Record<string, string>;
  /** Roles each trusted issuer's tokens may claim, per department or `*`. (Default: `consumer` only) */
  issuerRoles?: Record<string, Record<string, string[]>>;
  systemKeys: SystemKeys;
  registers: Registers;
  /** Verified tokens kept until they expire. (Default: 10000) */
  cacheSize?: number;
}

/** What a system id looks like (as `system_key.system` checks it). */
const SYSTEM_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Clock skew allowed between the hub and the issuers. */
const CLOCK_TOLERANCE_S = 5;

/**
 * Turns a bearer token into a principal, or refuses it with a reason. Three kinds of issuer are
 * trusted: the development issuer, issuers with a JWKS URL, and department systems that sign
 * their own tokens with a registered key (`iss` = `sub` = the system id, `kid` = the key's id).
 * Verified tokens are cached until they expire, so a repeat caller costs one map look-up.
 */
export class TokenVerifier {
  private readonly verified = new Map<string, { principal: Principal; expiresAt: number }>();
  private readonly keySets = new Map<string, JWTVerifyGetKey>();

  constructor(private readonly options: TokenVerifierOptions) {
    if (options.devIssuer) this.keySets.set(DEV_ISSUER, localKeySet([options.devIssuer.publicJwk]));
    for (const [issuer, url] of Object.entries(options.jwksIssuers)) this.keySets.set(issuer, remoteKeySet(url));
    for (const [issuer, url] of Object.entries(options.citizenIssuers ?? {})) this.keySets.set(issuer, remoteKeySet(url));
  }

  /** Verifications answered from the cache, and those that verified anew, for the `/metrics` page. */
  cacheHits = 0;
  cacheMisses = 0;

  async verify(token: string): Promise<Principal> {
    const cached = this.verified.get(token);
    if (cached && cached.expiresAt > Date.now()) {
      this.cacheHits += 1;
      return cached.principal;
    }
    this.cacheMisses += 1;
    if (cached) this.verified.delete(token);
    try {
      const { principal, expiresAt } = await this.verifyAnew(token);
      this.remember(token, principal, expiresAt);
      return principal;
    } catch (err) {
      throw new TokenRefused(reasonFor(err));
    }
  }

  private async verifyAnew(token: string): Promise<{ principal: Principal; expiresAt: number }> {
    const issuer = decodeJwt(token).iss;
    if (typeof issuer !== 'string') throw new TokenRefused('missing-claim');
    const keySet = this.keySets.get(issuer);
    const { payload, protectedHeader } = await jwtVerify(token, keySet ?? this.systemKey(issuer), {
      algorithms: [...ACCEPTED_ALGORITHMS],
      issuer,
      audience: this.options.audience,
      requiredClaims: ['exp', 'sub'],
      clockTolerance: CLOCK_TOLERANCE_S,
    });
    // A citizen token comes from the development issuer or a citizen identity issuer only, and a
    // citizen identity issuer's tokens are never anything else.
    const citizenIssuer = Object.hasOwn(this.options.citizenIssuers ?? {}, issuer);
    if (payload.kind === 'citizen' || citizenIssuer) {
      if (payload.kind !== 'citizen' || !(citizenIssuer || issuer === DEV_ISSUER)) throw new TokenRefused('wrong-issuer');
      return { principal: citizenOf(payload), expiresAt: (payload.exp! + CLOCK_TOLERANCE_S) * 1000 };
    }
    const principal = principalOf(payload);
    if (!keySet) {
      // A system's own key speaks for that system of its department only, with the roles registered with it.
      const { key } = await this.options.systemKeys.find(protectedHeader.kid ?? '');
      if (key.department !== principal.department || key.system !== principal.system) throw new TokenRefused('key-mismatch');
      if (!principal.roles.every((r) => key.roles.includes(r))) throw new TokenRefused('role-not-granted');
    } else if (issuer !== DEV_ISSUER) {
      // A role is a right given to a system, not a claim it makes: mapped per issuer by configuration.
      const mapped = this.options.issuerRoles?.[issuer];
      const allowed = mapped ? (mapped[principal.department] ?? mapped['*'] ?? []) : ['consumer'];
      if (!principal.roles.every((r) => allowed.includes(r))) throw new TokenRefused('role-not-granted');
    }
    if (!(await this.options.registers.isDepartment(principal.department))) throw new TokenRefused('unknown-department');
    return { principal, expiresAt: (payload.exp! + CLOCK_TOLERANCE_S) * 1000 };
  }

  /** The key of a department system signing for itself: its `kid` must be registered to the issuing system. */
  private systemKey(issuer: string): JWTVerifyGetKey {
    return async (header) => {
      if (!header.kid) throw new TokenRefused('unknown-key');
      const { key, crypto } = await this.options.systemKeys.find(header.kid).catch((err: unknown) => {
        // An issuer that could be a system signing for itself, naming a kid nobody registered, is
        // refused for its key; an issuer that cannot be a system id (a URL) is one the hub does not trust.
        if (err instanceof UnknownKeyError) throw new TokenRefused(SYSTEM_ID.test(issuer) ? 'unknown-key' : 'wrong-issuer');
        throw err;
      });
      if (key.system !== issuer) throw new TokenRefused('wrong-issuer');
      if (key.alg !== header.alg) throw new TokenRefused('key-mismatch');
      return crypto;
    };
  }

  /** Empties the verified-token cache: the keys or registers a cached token rests on changed. */
  forget(): void {
    this.verified.clear();
  }

  private remember(token: string, principal: Principal, expiresAt: number): void {
    const limit = this.options.cacheSize ?? 10_000;
    // Map keeps insertion order: the first key is the oldest.
    if (this.verified.size >= limit) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { principal, expiresAt });
  }
}

function principalOf(payload: JWTPayload): Principal {
  const { sub, dept, roles } = payload as JWTPayload & { dept?: unknown; roles?: unknown };
  if (typeof sub !== 'string' || !sub || typeof dept !== 'string' || !dept) throw new TokenRefused('missing-claim');
  if (!Array.isArray(roles) || roles.length === 0) throw new TokenRefused('missing-claim');
  if (!roles.every((r) => (ROLES as readonly unknown[]).includes(r))) throw new TokenRefused('unknown-role');
  return Object.freeze({ department: dept, system: sub, roles: Object.freeze([...(roles as Role[])]) });
}

/** A citizen: `sub` is an 18-character citizen ID number (its check digit is the issuer's concern). */
function citizenOf(payload: JWTPayload): Principal {
  const idNumber = typeof payload.sub === 'string' ? payload.sub.trim().toUpperCase() : '';
  if (!/^[0-9]{17}[0-9X]$/.test(idNumber)) throw new TokenRefused('missing-claim');
  return Object.freeze({ department: CITIZEN_DEPARTMENT, system: 'citizen-portal', roles: Object.freeze([]), citizen: idNumber });
}

function reasonFor(err: unknown): RefusalReason {
  if (err instanceof TokenRefused) return err.reason;
  const { code, claim, reason } = err as { code?: string; claim?: string; reason?: string };
  switch (code) {
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'alg-not-allowed';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad-signature';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'unknown-key';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return 'keys-unavailable';
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (reason === 'missing') return 'missing-claim';
      if (claim === 'nbf') return 'not-yet-valid';
      if (claim === 'aud') return 'wrong-audience';
      if (claim === 'iss') return 'wrong-issuer';
      return 'malformed';
    default:
      // jose's own errors all carry an ERR_ code; anything else came from fetching a key set.
      return code?.startsWith('ERR_') ? 'malformed' : 'keys-unavailable';
  }
}
