import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

/** One of the hub's own signing keys (Ed25519): audit checkpoints now, signed statements and seals too. */
export interface HubKey {
  kid: string;
  privateKey: CryptoKey | Uint8Array;
  publicKey: CryptoKey | Uint8Array;
  /** The public key as a JWK carrying `kid`, `alg` and `use`, as the JWKS publishes it. */
  publicJwk: JWK;
  createdAt: string;
}

/** A key that signed once: only its public half is kept, so it can verify but never sign again. */
export interface RetiredHubKey extends Omit<HubKey, 'privateKey'> {
  retiredAt: string;
}

/** The current key (the one that signs) and every key that ever signed, current first. */
export interface HubKeys {
  current: HubKey;
  all: (HubKey | RetiredHubKey)[];
  /** The key named by `kid`, current or retired; null for a kid the hub never had. */
  byKid(kid: string): HubKey | RetiredHubKey | null;
}

export const HUB_KEY_ALG = 'EdDSA';
export const HUB_KEY_FILE = 'audit-key.json';

/** The stored form. A file from before key history (`{kid, privateJwk, publicJwk}`) reads as a current key with no history. */
interface StoredKeys {
  current: { kid: string; privateJwk: JWK; publicJwk: JWK; createdAt?: string };
  retired: { kid: string; publicJwk: JWK; createdAt?: string; retiredAt: string }[];
}

/** The hub key file is missing or unreadable: start-up stops, naming the file and what to do. */
export class HubKeyError extends Error {
  constructor(
    readonly file: string,
    readonly problem: 'missing' | 'unreadable',
    message: string,
  ) {
    super(message);
    this.name = 'HubKeyError';
  }
}

export const hubKeyFile = (dataDir: string): string => path.join(dataDir, HUB_KEY_FILE);

/**
 * The hub's keys, from `audit-key.json` in the data directory (mode 600), not from the database:
 * whoever can rewrite the audit table must not also be able to sign checkpoints. Hub instances
 * that share a database share this file (e.g. a mounted secret).
 *
 * Never creates a key: a missing or unreadable file is a `HubKeyError` naming the file. Only
 * `ensureHubKeys` creates one, and only for a hub with no audit history.
 */
export async function loadHubKeys(dataDir: string): Promise<HubKeys> {
  const file = hubKeyFile(dataDir);
  if (!existsSync(file)) {
    throw new HubKeyError(
      file,
      'missing',
      `The hub key file ${file} is missing. It signs the audit checkpoints; without it they cannot be verified. ` +
        `Restore it from your backup (or the mounted secret) into ${dataDir}; ` +
        `a new key is made only on the first start of a hub with no audit history.`,
    );
  }
  return fromStored(await readStored(file));
}

/** The current key alone (never creates one). Prefer `loadHubKeys`, which also holds the retired keys verification needs. */
export async function loadHubKey(dataDir: string): Promise<HubKey> {
  return (await loadHubKeys(dataDir)).current;
}

/** A key ring from keys in hand: one key (as older callers pass) or a `HubKeys`. */
export function asHubKeys(keys: HubKeys | HubKey): HubKeys {
  if ('all' in keys) return keys;
  return { current: keys, all: [keys], byKid: (kid) => (kid === keys.kid ? keys : null) };
}

/**
 * `loadHubKeys`, except that a hub with no audit history (`isNewHub`, judged by the caller from the
 * database and the checkpoint file) gets its first key made here, and says so in the log.
 */
export async function ensureHubKeys(
  dataDir: string,
  options: { isNewHub: () => Promise<boolean>; onCreated?: (kid: string, file: string) => void },
): Promise<HubKeys> {
  const file = hubKeyFile(dataDir);
  if (existsSync(file)) return fromStored(await readStored(file));
  if (!(await options.isNewHub())) return loadHubKeys(dataDir); // throws: missing on a hub with history
  const stored: StoredKeys = { current: await newKey(), retired: [] };
  await mkdir(dataDir, { recursive: true });
  try {
    await writeFile(file, JSON.stringify(stored, null, 2), { mode: 0o600, flag: 'wx' });
    options.onCreated?.(stored.current.kid, file);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EEXIST') throw err;
    return fromStored(await readStored(file)); // another process made it first
  }
  return fromStored(stored);
}

/**
 * Makes a new current key; the old one joins the history with its public half only. The history
 * stays in the same file, so verification finds every checkpoint's key by its `kid`. Written to a
 * temporary file and renamed, so a crash leaves the old file or the new one, never half of one.
 */
export async function rotateHubKey(dataDir: string): Promise<{ retired: string; current: string; file: string }> {
  const file = hubKeyFile(dataDir);
  if (!existsSync(file)) await loadHubKeys(dataDir); // throws, naming the file
  const stored = await readStored(file);
  const now = new Date().toISOString();
  const next: StoredKeys = {
    current: await newKey(),
    retired: [{ kid: stored.current.kid, publicJwk: stored.current.publicJwk, createdAt: stored.current.createdAt, retiredAt: now }, ...stored.retired],
  };
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(next, null, 2), { mode: 0o600 });
  await rename(tmp, file);
  return { retired: stored.current.kid, current: next.current.kid, file };
}

/**
 * The running hub's keys, re-read when the file changes (checked at most once a second), so a
 * `huitong key rotate-hub` beside a running hub takes effect without a restart.
 */
export class HubKeyRing {
  private checkedAt = 0;
  private seen: number; // mtime + inode of the file last read

  private constructor(
    readonly dataDir: string,
    private keys: HubKeys,
    mtimeMs: number,
  ) {
    this.seen = mtimeMs;
  }

  static async open(dataDir: string, keys: HubKeys): Promise<HubKeyRing> {
    const { mtimeMs, ino } = await stat(hubKeyFile(dataDir));
    return new HubKeyRing(dataDir, keys, mtimeMs + ino); // a rotation renames a new file into place
  }

  /** The keys as they were last read; call `refresh()` first where a rotation should show. */
  get current(): HubKeys {
    return this.keys;
  }

  /** Re-reads the file if it changed since the last look (at most once a second). A file that became unreadable keeps the keys held. */
  async refresh(): Promise<HubKeys> {
    const now = Date.now();
    if (now - this.checkedAt < 1000) return this.keys;
    this.checkedAt = now;
    try {
      const { mtimeMs, ino } = await stat(hubKeyFile(this.dataDir));
      if (mtimeMs + ino !== this.seen) {
        this.keys = await fromStored(await readStored(hubKeyFile(this.dataDir)));
        this.seen = mtimeMs + ino;
      }
    } catch {
      // keep signing with the key held; `huitong audit verify` and the next start report the file
    }
    return this.keys;
  }
}

async function newKey(): Promise<StoredKeys['current']> {
  const { privateKey, publicKey } = await generateKeyPair(HUB_KEY_ALG, { crv: 'Ed25519', extractable: true });
  const createdAt = new Date().toISOString();
  const kid = `hub-${createdAt.slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}`;
  return { kid, privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey), createdAt };
}

async function readStored(file: string): Promise<StoredKeys> {
  const unreadable = (why: string) =>
    new HubKeyError(file, 'unreadable', `The hub key file ${file} is unreadable (${why}). Restore it from your backup; do not delete it: the audit checkpoints it signed could then no longer be verified.`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw unreadable((err as Error).message);
  }
  if (!text.trim()) throw unreadable('it is empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw unreadable(`not JSON: ${(err as Error).message}`);
  }
  const p = parsed as Partial<StoredKeys> & { kid?: string; privateJwk?: JWK; publicJwk?: JWK };
  const stored: StoredKeys | null =
    p.current && Array.isArray(p.retired)
      ? (p as StoredKeys)
      : typeof p.kid === 'string' && p.privateJwk && p.publicJwk
        ? { current: { kid: p.kid, privateJwk: p.privateJwk, publicJwk: p.publicJwk }, retired: [] }
        : null;
  if (!stored || typeof stored.current.kid !== 'string' || !stored.current.privateJwk?.d) throw unreadable('it holds no current key with its private part');
  return stored;
}

async function fromStored(stored: StoredKeys): Promise<HubKeys> {
  const published = (kid: string, jwk: JWK): JWK => ({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid, alg: HUB_KEY_ALG, use: 'sig' });
  const current: HubKey = {
    kid: stored.current.kid,
    privateKey: await importJWK(stored.current.privateJwk, HUB_KEY_ALG),
    publicKey: await importJWK(stored.current.publicJwk, HUB_KEY_ALG),
    publicJwk: published(stored.current.kid, stored.current.publicJwk),
    createdAt: stored.current.createdAt ?? '',
  };
  const retired: RetiredHubKey[] = await Promise.all(
    stored.retired.map(async (r) => ({
      kid: r.kid,
      publicKey: await importJWK(r.publicJwk, HUB_KEY_ALG),
      publicJwk: published(r.kid, r.publicJwk),
      createdAt: r.createdAt ?? '',
      retiredAt: r.retiredAt,
    })),
  );
  const all = [current, ...retired];
  const index = new Map(all.map((k) => [k.kid, k]));
  return { current, all, byKid: (kid) => index.get(kid) ?? null };
}
