import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

/** The hub's own signing key for audit checkpoints (Ed25519). */
export interface HubKey {
  kid: string;
  privateKey: CryptoKey | Uint8Array;
  publicKey: CryptoKey | Uint8Array;
  publicJwk: JWK;
}

export const HUB_KEY_ALG = 'EdDSA';
export const HUB_KEY_FILE = 'audit-key.json';

/**
 * Kept in the data directory (`audit-key.json`, mode 600), not in the database: whoever can rewrite
 * the audit table must not also be able to sign checkpoints. Hub instances that share a database
 * share this file (e.g. a mounted secret); generated on first use.
 */
export async function loadHubKey(dataDir: string): Promise<HubKey> {
  const file = path.join(dataDir, HUB_KEY_FILE);
  let stored: { kid: string; privateJwk: JWK; publicJwk: JWK };
  if (existsSync(file)) {
    stored = JSON.parse(await readFile(file, 'utf8'));
  } else {
    const { privateKey, publicKey } = await generateKeyPair(HUB_KEY_ALG, { crv: 'Ed25519', extractable: true });
    const kid = `hub-${new Date().toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}`;
    stored = { kid, privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(stored, null, 2), { mode: 0o600, flag: 'wx' }).catch(async (err: { code?: string }) => {
      if (err.code !== 'EEXIST') throw err;
      stored = JSON.parse(await readFile(file, 'utf8')); // another process made it first
    });
  }
  return {
    kid: stored.kid,
    privateKey: await importJWK(stored.privateJwk, HUB_KEY_ALG),
    publicKey: await importJWK(stored.publicJwk, HUB_KEY_ALG),
    publicJwk: stored.publicJwk,
  };
}
