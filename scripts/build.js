#!/usr/bin/env node
// Builds `dist/` from `src/` for `npm start` and the CLI (run by `prepare`, so `npm ci` builds it):
// each TypeScript file is transpiled on its own with esbuild (no bundling, no type check: `npm run
// typecheck` does that), and every other file under `src/` (the console's static files) is copied.
// `src/a/b.ts` becomes `dist/a/b.js`, at the same depth, so paths the code takes from
// `import.meta.dirname` (`../../catalog`, `../package.json`, the SDL files in `schemas/`, the
// migrations beside `db/index`) resolve from `dist/` as they do from `src/`.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUILD_FORMAT, DIST, SRC, STAMP, sourceState, staleReason } from './dist-stamp.js';

/** Builds `dist/` (always, or with `onlyIfStale` only when it does not match `src/`). Returns whether it built. */
export async function buildDist({ onlyIfStale = false, quiet = false } = {}) {
  if (onlyIfStale && staleReason() === null) return false;
  const started = Date.now();
  // Read before the build: a file edited while the build runs then leaves the stamp stale.
  const files = sourceState();
  const { build } = await import('esbuild');
  // A clean folder: a removed source (a migration) must not survive as a stale .js file.
  rmSync(DIST, { recursive: true, force: true });
  const names = Object.keys(files);
  const ts = names.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  await build({
    entryPoints: ts.map((f) => path.join(SRC, f)),
    outdir: DIST,
    outbase: SRC,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  for (const f of names.filter((n) => !n.endsWith('.ts'))) {
    mkdirSync(path.dirname(path.join(DIST, f)), { recursive: true });
    copyFileSync(path.join(SRC, f), path.join(DIST, f));
  }
  // The stamp last: a build that stopped half-way has none, and does not run.
  writeFileSync(STAMP, JSON.stringify({ format: BUILD_FORMAT, builtAt: new Date().toISOString(), files }));
  if (!quiet) process.stdout.write(`dist/ built: ${ts.length} modules, ${names.length - ts.length} other files, ${Date.now() - started} ms\n`);
  return true;
}

if (import.meta.filename === process.argv[1] || process.argv[1]?.endsWith('scripts/build.js')) await buildDist();
