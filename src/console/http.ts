import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { loadDevIssuer, ROLES, type DevIssuer, type Role } from '../access/index.js';
import { parseIdNumber } from '../registries/population/index.js';
import type { HubServices } from '../server/context.js';

const STATIC = path.resolve(import.meta.dirname, 'static');

/** Longest a demo sign-in token lives: the console asks again rather than keep a long-lived one. */
const DEMO_TOKEN_TTL = '15m';

/**
 * The console's own routes: `/console` (the single page, which talks to `/graphql` only),
 * `/console/citizen` (the citizen's page), `/console/config.json` (what the page needs to know
 * before sign-in) and, with the development issuer on, `POST /console/dev-token` (demo sign-in).
 * Nothing here reads or changes hub data: every action of the console goes through the GraphQL API.
 */
export function createConsoleRoutes(hub: HubServices) {
  let issuer: Promise<DevIssuer> | null = null;
  const devIssuer = () => (issuer ??= loadDevIssuer(hub.config.dataDir));

  async function handle(route: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (route === '/console/config.json' && req.method === 'GET') return json(res, 200, await configOf());
      if (route === '/console/dev-token') return await devToken(req, res);
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
      const file = route === '/console/citizen' ? 'citizen.html' : 'index.html';
      const html = await readFile(path.join(STATIC, file), 'utf8');
      res
        .writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'DENY',
          // Alpine evaluates its attribute expressions with Function(): 'unsafe-eval' is the price of no build step.
          'content-security-policy': "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
        })
        .end(html);
    } catch (err) {
      hub.logger.error({ err, route }, 'console route failed');
      json(res, 500, { error: 'console unavailable' });
    }
  }

  /**
   * Before sign-in the page knows whether demo sign-in is offered, and the registered departments'
   * and purposes' names (public: the citizen's page names who read their data, and why, by them).
   */
  async function configOf() {
    const [departments, purposes] = await Promise.all([
      hub.db.pool.query<{ code: string; name: string; nameEn: string }>('select code, name, name_en as "nameEn" from department order by code'),
      hub.db.pool.query<{ code: string; name: string }>('select code, name from purpose order by code'),
    ]);
    return { mode: hub.config.mode, operator: hub.config.operatorDepartment, devSignIn: hub.config.devIssuer, roles: ROLES, departments: departments.rows, purposes: purposes.rows };
  }

  /**
   * Demo sign-in: a short-lived development-issuer token for the department and roles chosen, or
   * for a citizen. Refused (404, `dev-issuer-off`) whenever the development issuer is not trusted,
   * which is always the case in production unless configured otherwise. JSON bodies only, so a
   * cross-site form cannot ask for one.
   */
  async function devToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hub.config.devIssuer) return json(res, 404, { error: 'demo sign-in is not offered here', code: 'dev-issuer-off' });
    if (req.method !== 'POST') return json(res, 405, { error: 'POST a JSON body' });
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return json(res, 415, { error: 'JSON only', code: 'BAD_USER_INPUT' });
    let body: { department?: unknown; roles?: unknown; citizen?: unknown };
    try {
      body = JSON.parse(await readBody(req, 4096));
    } catch {
      return json(res, 400, { error: 'a JSON object is expected', code: 'BAD_USER_INPUT' });
    }
    const audience = hub.config.jwtAudience;
    if (typeof body.citizen === 'string') {
      const parsed = /^\d{17}[\dXx]$/.test(body.citizen.trim()) ? parseIdNumber(body.citizen) : { ok: false as const, reason: 'an 18-character citizen ID number' };
      if (!parsed.ok) return json(res, 400, { error: `citizen: ${parsed.reason}`, code: 'BAD_USER_INPUT', field: 'citizen' });
      const token = await (await devIssuer()).signCitizen(body.citizen, audience, DEMO_TOKEN_TTL);
      hub.logger.info({ kind: 'citizen' }, 'demo sign-in token issued');
      return json(res, 200, { token, expiresIn: DEMO_TOKEN_TTL });
    }
    const department = typeof body.department === 'string' ? body.department : '';
    if (!(await hub.identity.registers.isDepartment(department))) return json(res, 400, { error: 'department: not a registered department', code: 'BAD_USER_INPUT', field: 'department' });
    const roles = Array.isArray(body.roles) ? body.roles : [];
    if (!roles.length || !roles.every((r) => (ROLES as readonly unknown[]).includes(r))) {
      return json(res, 400, { error: `roles: one or more of ${ROLES.join(', ')}`, code: 'BAD_USER_INPUT', field: 'roles' });
    }
    const token = await (await devIssuer()).sign({ department, roles: roles as Role[], system: `${department}-console`, ttl: DEMO_TOKEN_TTL }, audience);
    hub.logger.info({ department, roles }, 'demo sign-in token issued');
    return json(res, 200, { token, expiresIn: DEMO_TOKEN_TTL });
  }

  return { handle };
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}
