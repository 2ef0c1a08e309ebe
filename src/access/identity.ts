import type pg from 'pg';
import type { Logger } from '../log.js';
import { loadDevIssuer } from './dev-issuer.js';
import { SystemKeys } from './keys.js';
import { listenForRegisterChanges } from './notifications.js';
import { PurposeRefused, readStatedPurpose } from './purpose.js';
import { Registers } from './registers.js';
import { policyForRoles } from './role-scope.js';
import { AccessSession, type PolicySource } from './session.js';
import { TokenRefused, TokenVerifier } from './tokens.js';

/** What the hub needs, built once at start-up, to tell who asks and why. */
export interface Identity {
  tokens: TokenVerifier;
  registers: Registers;
  systemKeys: SystemKeys;
  /** Stops listening for register changes. */
  close(): Promise<void>;
}

export interface IdentityOptions {
  dataDir: string;
  devIssuer: boolean;
  jwtAudience: string;
  trustedIssuers: Record<string, string>;
  /** Citizen identity issuers (issuer to JWKS URL), whose tokens sign citizens in. (Default: none) */
  citizenIssuers?: Record<string, string>;
  /** Roles each trusted issuer's tokens may claim, per department or `*`. (Default: `consumer` only) */
  trustedIssuerRoles?: Record<string, Record<string, string[]>>;
}

/**
 * Token verification with the registers it checks against, held in memory and reloaded whenever
 * the database announces a change (a verified-token cache entry may rest on what changed, so the
 * cache is emptied too: a revoked key or department stops working at once).
 */
export async function createIdentity(options: IdentityOptions, db: { url: string; pool: pg.Pool }, logger: Logger): Promise<Identity> {
  const registers = new Registers(db.pool);
  const systemKeys = new SystemKeys(db.pool);
  await Promise.all([registers.load(), systemKeys.load()]);
  const tokens = new TokenVerifier({
    audience: options.jwtAudience,
    devIssuer: options.devIssuer ? await loadDevIssuer(options.dataDir) : null,
    jwksIssuers: options.trustedIssuers,
    citizenIssuers: options.citizenIssuers,
    issuerRoles: options.trustedIssuerRoles,
    systemKeys,
    registers,
  });
  const reload = async (table: string) => {
    await (table === 'system_key' ? systemKeys.load() : registers.load());
    tokens.forget();
  };
  const listener = await listenForRegisterChanges(
    db.url,
    (table) => void reload(table).catch((err) => logger.warn({ err, table }, 'register reload failed')),
    logger,
  );
  return { tokens, registers, systemKeys, close: () => listener.close() };
}

/** Longest bearer token read; a longer one is refused before any parsing. */
const MAX_TOKEN_LENGTH = 8192;

/**
 * The request's access session: the principal from its bearer token and the purpose it states,
 * deciding each field by `policy` (the catalogue's resources and grants, held in memory).
 * Throws `TokenRefused` or `PurposeRefused`; the server turns them into GraphQL errors.
 */
export async function openAccessSession(headers: Headers, identity: Identity, policy: PolicySource): Promise<AccessSession> {
  const authorization = headers.get('authorization');
  if (!authorization) throw new TokenRefused('missing-token');
  const match = /^Bearer +([A-Za-z0-9_.~+/=-]+)$/i.exec(authorization.trim());
  if (!match || match[1].length > MAX_TOKEN_LENGTH) throw new TokenRefused('malformed');
  const principal = await identity.tokens.verify(match[1]);
  const purpose = await readStatedPurpose(headers, identity.registers).catch((err: unknown) => {
    if (err instanceof PurposeRefused) err.principal = principal;
    throw err;
  });
  return new AccessSession(principal, purpose, policyForRoles(policy, principal));
}
