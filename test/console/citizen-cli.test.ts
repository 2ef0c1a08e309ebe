import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadDevIssuer } from '../../src/access/index.js';

const CLI = path.resolve(import.meta.dirname, '../../bin/huitong.js');
const run = promisify(execFile);
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'huitong-citizen-cli-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

test('huitong token --citizen prints a short-lived citizen token naming the ID number, and no roles', async () => {
  const { stdout } = await run(process.execPath, [CLI, 'token', '--citizen', '43112420010807046x'], { env: { ...process.env, HUITONG_DATA_DIR: dataDir } });
  const issuer = await loadDevIssuer(dataDir);
  const { payload } = await jwtVerify(stdout.trim(), createLocalJWKSet({ keys: [issuer.publicJwk] }), { issuer: 'huitong-dev', audience: 'huitong' });
  expect(payload).toMatchObject({ kind: 'citizen', sub: '43112420010807046X' });
  expect(payload).not.toHaveProperty('roles');
  expect(payload.exp! - payload.iat!).toBe(900);
});

test('huitong token --citizen refuses a number whose check character is wrong', async () => {
  const failed = await run(process.execPath, [CLI, 'token', '--citizen', '431102198503120212'], { env: { ...process.env, HUITONG_DATA_DIR: dataDir } }).catch(
    (err: { code: number; stderr: string }) => err,
  );
  expect(failed).toMatchObject({ code: 2 });
  expect((failed as { stderr: string }).stderr).toContain('not a valid 18-character citizen ID number');
});
