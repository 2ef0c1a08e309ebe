import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { BUILD_FORMAT, REPO, sourceState, staleReason } from '../../scripts/dist-stamp.js';

// bin/huitong.js runs dist/ only when its stamp matches src/ as it is now (docs/startup.md).
const dir = mkdtempSync(path.join(tmpdir(), 'huitong-stamp-'));
const src = path.join(dir, 'src');
const stamp = path.join(dir, 'stamp.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const build = () => writeFileSync(stamp, JSON.stringify({ format: BUILD_FORMAT, files: sourceState(src) }));

test('dist/ is current only while every file under src/ is as it was built', () => {
  mkdirSync(path.join(src, 'server'), { recursive: true });
  writeFileSync(path.join(src, 'main.ts'), 'export const a = 1;\n');
  writeFileSync(path.join(src, 'server', 'app.ts'), 'export const b = 2;\n');
  expect(staleReason(src, stamp)).toBe('dist/ is not built');
  build();
  expect(staleReason(src, stamp)).toBeNull();

  // Same size, new mtime (an edit that keeps the length, a checkout, touch).
  const later = new Date(Date.now() + 5000);
  utimesSync(path.join(src, 'server', 'app.ts'), later, later);
  expect(staleReason(src, stamp)).toBe('src/server/app.ts changed since dist/ was built');
  build();
  writeFileSync(path.join(src, 'server', 'new.ts'), 'export {};\n');
  expect(staleReason(src, stamp)).toBe('src/server/new.ts was added since dist/ was built');
  build();
  unlinkSync(path.join(src, 'main.ts'));
  expect(staleReason(src, stamp)).toBe('src/main.ts was removed since dist/ was built');
  build();
  writeFileSync(stamp, JSON.stringify({ format: BUILD_FORMAT - 1, files: sourceState(src) }));
  expect(staleReason(src, stamp)).toMatch(/another build format/);
});

test('bin/huitong.js says at debug level which code it runs: dist/ when current (the test setup builds it), src/ through tsx when told', () => {
  const run = (env: Record<string, string>) =>
    execFileSync(process.execPath, [path.join(REPO, 'bin/huitong.js'), '--help'], { env: { ...process.env, LOG_LEVEL: 'debug', ...env }, encoding: 'utf8' });
  const current = staleReason();
  const first = JSON.parse(run({}).split('\n')[0]!) as { level: number; msg: string; reason?: string };
  expect(first.level).toBe(20);
  if (current === null) expect(first.msg).toBe('running the built JavaScript in dist/');
  else expect(first).toMatchObject({ msg: 'running src/ through tsx', reason: current });
  const forced = JSON.parse(run({ HUITONG_DIST: 'off' }).split('\n')[0]!) as { msg: string; reason: string };
  expect(forced).toMatchObject({ msg: 'running src/ through tsx', reason: 'HUITONG_DIST=off' });
  expect(run({ LOG_LEVEL: 'info' })).toMatch(/^Huitong/);
});
