import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

/** Issuer name of the local development issuer that `huitong token` signs for. */
export const DEV_ISSUER = 'huitong-dev';
const ALG = 'EdDSA';

export const ROLES = ['consumer', 'provider', 'catalog-admin', 'auditor', 'platform-admin'] as const;
export type Role = (typeof ROLES)[number];

export interface DevIssuer {
  kid: string;
  publicJwk: JWK;
  sign(claims: { department: string; roles: Role[]; system?: string; ttl?: string | number }, audience: string): Promise<string>;
  /**
   * A citizen's token (`kind: citizen`, `sub` = the ID number), as a citizen identity issuer gives
   * one: it may read the citizen's own access log and nothing else. (Default ttl: 15 minutes)
   */
  signCitizen(idNumber: string, audience: string, ttl?: string | number): Promise<string>;
}

/**
 * The development issuer's Ed25519 key pair, generated into the data directory on first use
 * and kept there, so tokens stay valid across restarts.
 */
export async function loadDevIssuer(dataDir: string): Promise<DevIssuer> {
  const file = path.join(dataDir, 'dev-issuer.json');
  let stored: { kid: string; privateJwk: JWK; publicJwk: JWK };
  if (existsSync(file)) {
    stored = JSON.parse(await readFile(file, 'utf8'));
  } else {
    const { privateKey, publicKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
    const kid = `dev-${new Date().toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}`;
    stored = { kid, privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  const privateKey = await importJWK(stored.privateJwk, ALG);
  return {
    kid: stored.kid,
    publicJwk: { ...stored.publicJwk, kid: stored.kid, alg: ALG, use: 'sig' },
    sign: ({ department, roles, system, ttl = '1h' }, audience) =>
      new SignJWT({ dept: department, roles })
        .setProtectedHeader({ alg: ALG, kid: stored.kid, typ: 'JWT' })
        .setIssuer(DEV_ISSUER)
        .setAudience(audience)
        .setSubject(system ?? `${department}-system`)
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime(ttl)
        .sign(privateKey),
    signCitizen: (idNumber, audience, ttl = '15m') =>
      new SignJWT({ kind: 'citizen' })
        .setProtectedHeader({ alg: ALG, kid: stored.kid, typ: 'JWT' })
        .setIssuer(DEV_ISSUER)
        .setAudience(audience)
        .setSubject(idNumber.trim().toUpperCase())
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime(ttl)
        .sign(privateKey),
  };
}
