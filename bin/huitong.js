#!/usr/bin/env node
// Runs the CLI from `dist/` (JavaScript built from `src/` by `npm run build`, which `npm ci` runs
// through `prepare`) when it is current, else the TypeScript in `src/` through tsx: a developer's
// edit is never hidden behind a stale build, and no build step is ever required.
// `HUITONG_DIST=off` always uses tsx. Which one runs, and why, is logged at debug level.
import module from 'node:module';
import { staleReason } from '../scripts/dist-stamp.js';

// Node 22.1+ keeps V8's compiled code between runs (a no-op on Node 20, which has no such cache).
module.enableCompileCache?.();

const level = process.env.LOG_LEVEL ?? 'info';
const debug = (msg, extra = {}) => {
  // As pino writes it (level 20 = debug), so it sits with the hub's own log lines.
  if (level === 'debug' || level === 'trace') process.stdout.write(`${JSON.stringify({ level: 20, time: Date.now(), pid: process.pid, service: 'huitong', ...extra, msg })}\n`);
};

const reason = process.env.HUITONG_DIST === 'off' ? 'HUITONG_DIST=off' : staleReason();
if (reason === null) {
  debug('running the built JavaScript in dist/');
  await import('../dist/cli.js');
} else {
  debug('running src/ through tsx', { reason });
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
