import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

const require = createRequire(import.meta.url);
const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));

/**
 * Files served under `/assets/`, each from its npm package or from `src/console/static/`: the hub
 * serves its own UI toolkit and font, since government networks are often offline and the
 * console must not depend on a CDN. Nothing outside these roots is reachable.
 */
const ROOTS: Record<string, string> = {
  'pico/': path.join(packageDir('@picocss/pico'), 'css'),
  'alpine/': path.join(packageDir('alpinejs'), 'dist'),
  'fonts/noto-sans-sc/': packageDir('@fontsource/noto-sans-sc'),
  'console/': path.resolve(import.meta.dirname, 'static'),
};

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
};

/** Serves `GET /assets/<root>/<file>`; 404 for anything else, including any path leaving its root. */
export async function serveAsset(route: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const rel = route.slice('/assets/'.length);
  const prefix = Object.keys(ROOTS).find((p) => rel.startsWith(p));
  const type = TYPES[path.extname(rel)];
  if (!prefix || !type || req.method !== 'GET' && req.method !== 'HEAD') return notFound(res);
  const root = ROOTS[prefix];
  const file = path.resolve(root, decodeURIComponent(rel.slice(prefix.length)));
  if (!file.startsWith(root + path.sep)) return notFound(res);
  try {
    const info = await stat(file);
    if (!info.isFile()) return notFound(res);
    // Package files change only with a new version of the hub; our own static files may change in development.
    const cache = prefix === 'console/' ? 'no-cache' : 'public, max-age=86400';
    res.writeHead(200, { 'content-type': type, 'content-length': info.size, 'cache-control': cache, 'x-content-type-options': 'nosniff' });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  } catch {
    notFound(res);
  }
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
}
