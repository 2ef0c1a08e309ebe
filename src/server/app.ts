import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLSchema } from 'graphql';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { dcatCatalog, dcatDataset } from '../catalog/index.js';
import { createConsoleRoutes, serveAsset, useCitizenScope } from '../console/index.js';
import { createOpenPortal } from '../open-data/index.js';
import { pendingMigrations } from '../db/index.js';
import { useAccessReport } from './access-report.js';
import type { HubContext, HubServices } from './context.js';
import { useAuditTrail } from './plugins/audit.js';
import { hardeningPlugins } from './plugins/hardening.js';
import { accessSessionFor, usePurposeBinding } from './plugins/identity.js';
import { useRateLimit } from './plugins/rate-limit.js';
import { buildSchema } from './schema.js';

/** GraphiQL opens with the headers every query needs; the token comes from `huitong token`. */
const GRAPHIQL = {
  title: 'Huitong (汇通) GraphQL exchange',
  headers: JSON.stringify(
    { authorization: 'Bearer <npx huitong token --dept civil-affairs>', 'x-purpose': 'low-income-verification', 'x-case-number': 'DEMO-0001' },
    null,
    2,
  ),
  defaultQuery: '{\n  hub {\n    departments { code name }\n    purposes { code legalBasis }\n  }\n}\n',
};

export type HubYoga = YogaServerInstance<Record<string, never>, HubContext>;

export interface HubOptions {
  /** The schema to serve. (Default: the contract in `schemas/graphql`, from `buildSchema()`) */
  schema?: GraphQLSchema;
  /** Record audit entries. Off only for the benchmark's baseline. (Default: true) */
  audit?: boolean;
}

export function createHubYoga(hub: HubServices, options: HubOptions = {}): HubYoga {
  const dev = hub.config.mode === 'development';
  return createYoga<Record<string, never>, HubContext>({
    schema: options.schema ?? buildSchema(),
    context: async ({ request }) => ({ hub, access: await accessSessionFor(request, hub) }),
    // The audit trail comes first so that it also sees operations the purpose binding stops.
    plugins: [
      ...hardeningPlugins(hub.config),
      useRateLimit(hub.config.rateLimitPerMinute),
      useAuditTrail(hub, { record: options.audit }),
      // A citizen token opens its own access log only: refused here before any other check speaks.
      useCitizenScope(),
      usePurposeBinding(),
      useAccessReport(),
    ],
    graphqlEndpoint: '/graphql',
    graphiql: dev ? GRAPHIQL : false,
    // GraphiQL's scripts and styles served from the hub itself: government networks are often offline.
    renderGraphiQL,
    landingPage: false,
    maskedErrors: { isDev: dev },
    logging: {
      debug: (...args) => hub.logger.debug({ component: 'yoga' }, args.map(String).join(' ')),
      info: (...args) => hub.logger.info({ component: 'yoga' }, args.map(String).join(' ')),
      warn: (...args) => hub.logger.warn({ component: 'yoga' }, args.map(String).join(' ')),
      error: (...args) => hub.logger.error({ component: 'yoga' }, args.map(String).join(' ')),
    },
  });
}

export interface RunningServer {
  server: Server;
  url: string;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), then closes. */
  close(): Promise<void>;
}

/** Serves `/graphql`, `/healthz` (process alive) and `/readyz` (database reachable, migrations current). */
export async function listen(hub: HubServices, yoga: HubYoga, port: number, host: string): Promise<RunningServer> {
  const portal = createOpenPortal({ pool: hub.db.pool, publicUrl: hub.config.publicUrl, logger: hub.logger });
  const consoleRoutes = createConsoleRoutes(hub);
  const server = createServer((req, res) => {
    const route = req.url?.split('?')[0];
    // The public portal, the console's pages and their static files: no data of their own but aggregates (see src/open-data).
    if (route === '/open' || route?.startsWith('/open/')) return void portal.handle(req, res);
    if (route === '/console' || route?.startsWith('/console/')) return void consoleRoutes.handle(route, req, res);
    if (route?.startsWith('/assets/')) return void serveAsset(route, req, res);
    if (route === '/healthz') return json(res, 200, { status: 'ok' });
    if (route === '/readyz') return void ready(hub).then(({ status, body }) => json(res, status, body));
    if (route === '/catalog/dcat.jsonld' && req.method === 'GET') return void serveDcat(hub, res, null);
    if (route?.startsWith('/catalog/resources/') && req.method === 'GET') return void serveDcat(hub, res, decodeURIComponent(route.slice(19)));
    const refused = bodyTooLarge(req, hub.config.maxBodyBytes);
    if (refused) return json(res, refused, { errors: [{ message: 'Request body too large or of unknown length.', extensions: BODY_TOO_LARGE }] });
    return yoga(req, res);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '127.0.0.1' ? 'localhost' : host;
  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    close: () => closeGracefully(server, hub.config.shutdownGraceMs),
  };
}

const BODY_TOO_LARGE = { code: 'BAD_USER_INPUT', reason: 'body-too-large' };

/**
 * 413 for a body longer than the limit, 411 for a body of unstated length (chunked), checked from
 * the headers before anything is read. Node refuses a body longer than its Content-Length.
 */
function bodyTooLarge(req: IncomingMessage, max: number): 411 | 413 | null {
  const length = req.headers['content-length'];
  if (length === undefined) return req.headers['transfer-encoding'] ? 411 : null;
  return Number(length) > max ? 413 : null;
}

async function ready(hub: HubServices): Promise<{ status: number; body: unknown }> {
  try {
    const pending = await pendingMigrations(hub.db);
    if (pending.length) return { status: 503, body: { status: 'migrations pending', pending } };
    return { status: 200, body: { status: 'ready' } };
  } catch (err) {
    hub.logger.warn({ err }, 'readiness check failed');
    return { status: 503, body: { status: 'database unreachable' } };
  }
}

/**
 * The public part of the catalogue, DCAT-AP in JSON-LD, for harvesting: the whole catalogue, or one
 * dataset at the URL that is its `@id`. URLs are built from `HUITONG_PUBLIC_URL`, never from the
 * request's Host header (which the caller chooses).
 */
async function serveDcat(hub: HubServices, res: ServerResponse<IncomingMessage>, code: string | null): Promise<void> {
  try {
    const body = code === null ? await dcatCatalog(hub.db.pool, hub.config.publicUrl) : await dcatDataset(hub.db.pool, hub.config.publicUrl, code);
    if (!body) return json(res, 404, { status: 'no such shared resource' });
    res.writeHead(200, { 'content-type': 'application/ld+json; charset=utf-8' }).end(JSON.stringify(body));
  } catch (err) {
    hub.logger.error({ err }, 'DCAT export failed');
    json(res, 503, { status: 'catalogue unavailable' });
  }
}

function json(res: ServerResponse<IncomingMessage>, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function closeGracefully(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}
