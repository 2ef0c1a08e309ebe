import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadDevIssuer } from '../../src/access/index.js';
import { CheckpointFile, createAudit, HubKeyError, loadHubKeys, verifyChain } from '../../src/audit/index.js';
import { readConfig } from '../../src/config.js';
import { connectDatabase, type Database } from '../../src/db/index.js';
import { createLogger } from '../../src/log.js';
import { serveHub, type RunningHub } from '../../src/main.js';
import { createTestDatabase } from '../support/hub.js';

const CLI = path.resolve(import.meta.dirname, '../../bin/huitong.js');
const run = promisify(execFile);
const DIVISION = 'query Lookup($code: ID!) { division(code: $code) { code name } }';

/** A hub on a database and data directory that outlive it, so it can be stopped and started again. */
async function hubOn(database: { url: string; runtimeUrl: string }, dataDir: string) {
  const env = {
    DATABASE_URL: database.runtimeUrl,
    DATABASE_OWNER_URL: database.url,
    HUITONG_DATA_DIR: dataDir,
    HUITONG_DEV_ISSUER: 'true',
    HUITONG_AUDIT_CHECKPOINT_EVERY: '2',
    LOG_LEVEL: 'silent',
  };
  const config = { ...readConfig(env), port: 0 };
  const db: Database = await connectDatabase(database.runtimeUrl, { poolMax: 4, logger: createLogger('silent') });
  let hub: RunningHub;
  try {
    hub = await serveHub(config, createLogger('silent'), db);
  } catch (err) {
    await db.close();
    throw err;
  }
  const issuer = await loadDevIssuer(dataDir);
  const token = await issuer.sign({ department: 'statistics', roles: ['consumer'] }, config.jwtAudience);
  return {
    hub,
    env,
    db,
    /** One audited look-up. */
    async lookUp(): Promise<void> {
      const res = await fetch(`${hub.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': 'statistical-analysis', 'x-case-number': 'TJ-1' },
        body: JSON.stringify({ query: DIVISION, variables: { code: '431103' } }),
      });
      expect(res.status).toBe(200);
    },
    async jwks(): Promise<JSONWebKeySet> {
      const res = await fetch(`${hub.url}/.well-known/jwks.json`);
      expect(res.status).toBe(200);
      return (await res.json()) as JSONWebKeySet;
    },
    async close() {
      await hub.close();
      await db.close();
    },
  };
}

const cli = (args: string[], env: Record<string, string>) =>
  run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );

describe('hub keys have ids, a history, a JWKS, and a rotation command', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await mkdtemp(path.join(tmpdir(), 'huitong-keys-'));
  });
  afterAll(async () => {
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('checkpoints signed before and after `huitong key rotate-hub` and a restart all verify, each by the kid it names, offline from the JWKS', async () => {
    const first = await hubOn(database, dataDir);
    for (let i = 0; i < 4; i++) await first.lookUp();
    const before = await first.jwks();
    await first.close();
    expect(before.keys.map((k) => k.kid)).toHaveLength(2); // the hub key and the development issuer's
    const oldKid = (await loadHubKeys(dataDir)).current.kid;
    expect(before.keys.map((k) => k.kid)).toContain(oldKid);
    expect(before.keys.every((k) => k.d === undefined)).toBe(true);

    const rotated = await cli(['key', 'rotate-hub'], { HUITONG_DATA_DIR: dataDir });
    expect(rotated.code).toBe(0);
    const keys = await loadHubKeys(dataDir);
    expect(keys.current.kid).not.toBe(oldKid);
    expect(keys.all.map((k) => k.kid)).toEqual([keys.current.kid, oldKid]);
    expect(rotated.stdout).toContain(keys.current.kid);
    // The retired key keeps its public half only: it can no longer sign.
    const stored = JSON.parse(await readFile(path.join(dataDir, 'audit-key.json'), 'utf8'));
    expect(stored.retired[0]).not.toHaveProperty('privateJwk');

    const second = await hubOn(database, dataDir);
    for (let i = 0; i < 4; i++) await second.lookUp();
    const jwks = await second.jwks();
    await second.close();

    const { rows } = await database.db.pool.query<{ seq: string; kid: string; jws: string }>('select seq, kid, jws from audit_checkpoint order by seq');
    expect(new Set(rows.map((r) => r.kid))).toEqual(new Set([oldKid, keys.current.kid]));
    const report = await verifyChain(database.db.pool, keys, {
      anchors: (await new CheckpointFile(path.join(dataDir, 'audit-checkpoints.jsonl')).read()).checkpoints,
      checkpointEvery: 2,
    });
    expect(report).toMatchObject({ ok: true, entries: 8 });

    // Anyone holding only the JWKS verifies every checkpoint, whichever key signed it.
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, keys.current.kid]));
    const keySet = createLocalJWKSet(jwks);
    for (const row of rows) {
      const { payload, protectedHeader } = await compactVerify(row.jws, keySet);
      expect(protectedHeader.kid).toBe(row.kid);
      expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ seq: Number(row.seq) });
    }

    const verified = await cli(['audit', 'verify'], { ...second.env, HUITONG_AUDIT_CHECKPOINT_EVERY: '2' });
    expect(verified.stderr).toBe('');
    expect(verified.stdout).toContain('audit chain intact: 8 entries');
  }, 60_000);

  test('a checkpoint naming a key the hub never had reads as forged, naming the kid', async () => {
    const other = await mkdtemp(path.join(tmpdir(), 'huitong-keys-other-'));
    try {
      await cli(['key', 'rotate-hub'], { HUITONG_DATA_DIR: other }).then((r) => expect(r.code).toBe(1)); // no key there to rotate
      // A key of another hub (made for a hub with no history) does not verify this hub's checkpoints.
      const empty = await createTestDatabase();
      try {
        const audit = await createAudit(other, empty.db, { checkpointFilePath: path.join(other, 'cp.jsonl') });
        await audit.log.close();
      } finally {
        await empty.drop();
      }
      const report = await verifyChain(database.db.pool, await loadHubKeys(other));
      expect(report.ok).toBe(false);
      expect(report.firstBreak).toMatchObject({ problem: 'forged-checkpoint' });
      expect(report.firstBreak!.detail).toMatch(/names key hub-[\w-]+, which is not among the hub's keys/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  test('a missing key file on a hub with history stops the start naming the file, and `audit verify` never makes one', async () => {
    const file = path.join(dataDir, 'audit-key.json');
    const saved = await readFile(file, 'utf8');
    await unlink(file);
    try {
      const refused = await hubOn(database, dataDir).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(HubKeyError);
      expect((refused as HubKeyError).message).toContain(file);
      expect((refused as HubKeyError).message).toContain('Restore it from your backup');

      const verified = await cli(['audit', 'verify'], { DATABASE_URL: database.url, HUITONG_DATA_DIR: dataDir });
      expect(verified.code).toBe(1);
      expect(verified.stderr).toContain(file);
      expect(existsSync(file)).toBe(false);

      await writeFile(file, '', { mode: 0o600 });
      const empty = await hubOn(database, dataDir).catch((err: unknown) => err);
      expect(empty).toMatchObject({ problem: 'unreadable' });
      expect((empty as Error).message).toContain(`${file} is unreadable (it is empty)`);
    } finally {
      await writeFile(file, saved, { mode: 0o600 });
    }
  });
});
