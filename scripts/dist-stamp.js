// What `dist/` was built from: every file under `src/` with its size and modification time.
// `bin/huitong.js` runs `dist/` only when the stamp matches `src/` as it is now, so an edit to
// `src/` (by a developer, a test, a checkout) never runs stale JavaScript. Plain JavaScript, no
// dependencies: it runs before any loader. Stat-only (no reading, no hashing): about 200 files,
// a few milliseconds.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '..');
export const SRC = path.join(REPO, 'src');
export const DIST = path.join(REPO, 'dist');
export const STAMP = path.join(DIST, '.build-stamp.json');
/** Bumped when the build's own output changes shape, so an old `dist/` is rebuilt, not run. */
export const BUILD_FORMAT = 1;

/** `src/`'s files now: relative path → [size, mtimeMs]. */
export function sourceState() {
  const state = {};
  for (const entry of readdirSync(SRC, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    const st = statSync(file);
    state[path.relative(SRC, file).split(path.sep).join('/')] = [st.size, st.mtimeMs];
  }
  return state;
}

/**
 * Why `dist/` may not run (its stamp missing, another format, or a file added, removed or
 * changed since the build), or null when it is current.
 */
export function staleReason() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch {
    return 'dist/ is not built';
  }
  if (stamp.format !== BUILD_FORMAT) return `dist/ was built by another build format (${stamp.format}, now ${BUILD_FORMAT})`;
  const built = stamp.files ?? {};
  const now = sourceState();
  for (const [file, [size, mtime]] of Object.entries(now)) {
    const was = built[file];
    if (!was) return `src/${file} was added since dist/ was built`;
    if (was[0] !== size || was[1] !== mtime) return `src/${file} changed since dist/ was built`;
  }
  for (const file of Object.keys(built)) if (!(file in now)) return `src/${file} was removed since dist/ was built`;
  return null;
}
