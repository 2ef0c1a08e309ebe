import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { GraphQLSchema } from 'graphql';
import { createYoga, maskError, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { dcatCatalog, dcatDataset } from '../catalog/index.js';
import { prefillRest } from '../prefill/index.js';
import { createConsoleRoutes, serveAsset, useCitizenScope } from '../console/index.js';
import { createOpenPortal } from '../open-data/index.js';
import { useAccessReport } from './access-report.js';
import type { LookupSources } from '../registries/department/index.js';
import type { HubContext, HubServices } from './context.js';
import { graphiqlOptions } from './graphiql.js';
import { JWKS_PATH, serveJwks } from './jwks.js';
import { METRICS_PATH } from './metrics.js';
import { useAuditTrail } from './plugins/audit.js';
import { hardeningPlugins } from './plugins/hardening.js';
import { accessSessionFor, usePurposeBinding } from './plugins/identity.js';
import { useRateLimit } from './plugins/rate-limit.js';
import { unavailableOrNull } from './unavailable.js';
import { buildSchema, generatedContract } from './schema.js';
import { serveVerificationRoute } from '../verification/routes.js';

export type HubYoga = YogaServerInstance<Record<string, never>, HubContext>;

export interface HubOptions {
  /** The schema to serve. (Default: the contract in `schemas/graphql`, from `buildSchema()`) */
  schema?: GraphQLSchema;
  /** Record audit entries. Off only for the benchmark's baseline. (Default: true) */
  audit?: boolean;
  /** Lookup sources asked at query time. (Default: the `lookup` connector definitions, base URLs from the environment) */
  lookups?: LookupSources;
}

export function createHubYoga(hub: HubServices, options: HubOptions = {}): HubYoga {
  const dev = hub.config.mode === 'development';
  const catalogue = options.schema ? null : catalogueSchema(hub);
  return createYoga<Record<string, never>, HubContext>({
    schema: options.schema ?? catalogue!.schema,
    context: async ({ request }) => ({ hub, access: await accessSessionFor(request, hub) }),
    // The audit trail comes first so that it also sees operations the purpose binding stops.
    plugins: [
      ...hardeningPlugins(hub.config),
      ...(hub.metrics ? [hub.metrics.plugin()] : []),
      useRateLimit(hub.config.rateLimitPerMinute, {
        store: hub.config.rateLimitStore,
        pool: hub.db.pool,
        onRefused: (department) => hub.metrics?.rateLimited.inc({ department }),
      }),
      useAuditTrail(hub, { record: options.audit }),
      // A citizen token opens its own access log only: refused here before any other check speaks.
      useCitizenScope(),
      usePurposeBinding(),
      useAccessReport(),
      ...(catalogue ? [catalogue.plugin] : []),
      // REST for workflow systems: each route runs its GraphQL operation through this same pipeline.
      prefillRest(),
    ],
    graphqlEndpoint: '/graphql',
    graphiql: dev ? graphiqlOptions(hub) : false,
    // GraphiQL's scripts and styles served from the hub itself: government networks are often offline.
    // Loaded on the first page asked for: they are 30 MB of strings that a production hub never serves.
    renderGraphiQL: async (options) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    landingPage: false,
    // `listen` refuses a long or unsized body from its headers before yoga sees it; yoga's own limit
    // would pipe every body through a counting stream (an abort controller and a DOMException per request).
    maxRequestBodySize: false,
    maskedErrors: {
      isDev: dev,
      // The database not answering is a stable 503 (`SOURCE_UNAVAILABLE`), never an internal error with a stack.
      maskError: (error, message, isDev) => {
        const unavailable = unavailableOrNull((error as { originalError?: unknown }).originalError ?? error);
        if (unavailable) {
          hub.failures.report('database unavailable: request refused with SOURCE_UNAVAILABLE', error);
          return unavailable;
        }
        return maskError(error, message, isDev);
      },
    },
    logging: {
      debug: (...args) => hub.logger.debug({ component: 'yoga' }, args.map(String).join(' ')),
      info: (...args) => hub.logger.info({ component: 'yoga' }, args.map(String).join(' ')),
      warn: (...args) => hub.logger.warn({ component: 'yoga' }, args.map(String).join(' ')),
      // Errors repeat per request during an outage: logged once per interval with a count.
      error: (...args) => hub.failures.report(`yoga: ${String(args[0]).split('\n')[0]}`, args[0], { component: 'yoga', detail: args.map(String).join(' ') }),
    },
  });
}

/**
 * The contract as the catalogue stands: the hand-written schema plus the types generated from the
 * department resources registered now. Rebuilt when a reload changes what is generated (a
 * resource registered through the API or a spreadsheet is queryable at once, without a restart)
 * and handed to yoga through the plugin's `setSchema`, so that requests pay nothing for it; a
 * request keeps the schema it started with. A rebuild that fails keeps the old schema.
 */
function catalogueSchema(hub: HubServices): { schema: GraphQLSchema; plugin: Plugin<HubContext> } {
  const generatedFrom = () => {
    const declarations = [...hub.catalog.declarations().values()].map((d) => d.declaration);
    return { declarations, signature: JSON.stringify(generatedContract(declarations).exposed.map((e) => e.declaration)) };
  };
  let { declarations, signature } = generatedFrom();
  const schema = buildSchema({ departments: declarations });
  const skipped = generatedContract(declarations).skipped;
  if (skipped.length) hub.logger.warn({ skipped }, 'catalogue resources not in the contract');
  let setSchema: ((schema: GraphQLSchema) => void) | null = null;
  hub.catalog.onReload(() => {
    const next = generatedFrom();
    if (next.signature === signature || !setSchema) return;
    try {
      setSchema(buildSchema({ departments: next.declarations }));
      ({ signature, declarations } = next);
      const { exposed, skipped } = generatedContract(declarations);
      hub.logger.info({ generated: exposed.map((e) => e.code), skipped }, 'contract regenerated from the catalogue');
    } catch (err) {
      hub.logger.error({ err }, 'contract not regenerated; the previous schema stays');
    }
  });
  return {
    schema,
    plugin: {
      onPluginInit(init) {
        setSchema = init.setSchema;
      },
    },
  };
}

export interface RunningServer {
  server: Server;
  url: string;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), then closes. */
  close(): Promise<void>;
}

/** Serves `/graphql`, `/healthz` (process alive) and `/readyz` (database reachable, migrations current). */
export async function listen(hub: HubServices, yoga: HubYoga, port: number, host: string): Promise<RunningServer> {
  let draining = false;
  const portal = createOpenPortal({ pool: hub.db.pool, publicUrl: hub.config.publicUrl, logger: hub.logger });
  const consoleRoutes = createConsoleRoutes(hub);
  const server = createServer((req, res) => {
    // While draining, every answer closes its connection, so keep-alive callers move elsewhere.
    if (draining) res.setHeader('connection', 'close');
    const route = req.url?.split('?')[0];
    if (route === '/healthz') return void ((report) => json(res, report.status, report.body))(hub.health.alive());
    if (route === '/readyz') return void hub.health.ready().then(({ status, body }) => json(res, status, body));
    if (route === JWKS_PATH && req.method === 'GET') return void serveJwks(hub, res);
    if (route?.startsWith('/verification/') && req.method === 'GET') return void serveVerificationRoute(hub, req, res, route);
    // The public portal, the console's pages and their static files: no data of their own but aggregates (see src/open-data).
    if (route === '/open' || route?.startsWith('/open/')) return void portal.handle(req, res);
    if (route === '/console' || route?.startsWith('/console/')) return void consoleRoutes.handle(route, req, res);
    if (route?.startsWith('/assets/')) return void serveAsset(route, req, res);
    if (route === METRICS_PATH && req.method === 'GET' && hub.metrics) return void hub.metrics.serve(res);
    if (route === '/catalog/dcat.jsonld' && req.method === 'GET') return void serveDcat(hub, res, null);
    if (route?.startsWith('/catalog/resources/') && req.method === 'GET') return void serveDcat(hub, res, decodeURIComponent(route.slice(19)));
    const refused = bodyTooLarge(req, hub.config.maxBodyBytes);
    if (refused) return json(res, refused, { errors: [{ message: 'Request body too large or of unknown length.', extensions: BODY_TOO_LARGE }] });
    return yoga(req, res);
  });
  server.keepAliveTimeout = 65_000;
  // When each connection last finished an answer (or opened), for closing idle ones when draining.
  const idleSince = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    idleSince.set(socket, Date.now());
    socket.once('close', () => idleSince.delete(socket));
  });
  let lastRequestAt = 0;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    lastRequestAt = Date.now();
    idleSince.delete(req.socket);
    res.once('finish', () => {
      if (!req.socket.destroyed) idleSince.set(req.socket, Date.now());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '127.0.0.1' ? 'localhost' : host;
  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    close: async () => {
      draining = true;
      hub.health.draining = true;
      // Lame duck: go on accepting while callers still arrive (each answered, with `Connection:
      // close`, so they move on; `/readyz` says 503), until none came for 250 ms or 3 s passed.
      // Closing the listener while callers connect resets those the kernel had accepted already.
      const since = Date.now();
      const lameDuckMs = Math.min(3000, hub.config.shutdownGraceMs / 2);
      while (Date.now() - lastRequestAt < 250 && Date.now() - since < lameDuckMs) await new Promise((r) => setTimeout(r, 50));
      await closeGracefully(server, idleSince, Math.max(0, hub.config.shutdownGraceMs - (Date.now() - since)));
    },
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

/**
 * Stops accepting connections and lets in-flight requests finish; their answers carry
 * `Connection: close`. A keep-alive connection is closed once it has been idle for a second:
 * one idle for less may be carrying a caller's next request that the server has not read yet
 * (closing it would reset that request); active callers pick idle connections up at once, so
 * those left idle that long belong to callers that have gone quiet. After `graceMs` whatever
 * remains is closed.
 */
async function closeGracefully(server: Server, idleSince: Map<Socket, number>, graceMs: number): Promise<void> {
  // net.Server's close: stop listening only. http.Server's would also drop every idle keep-alive
  // connection at once, racing a caller who is just sending its next request on one.
  const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
  const idle = setInterval(() => {
    const now = Date.now();
    for (const [socket, since] of idleSince) if (now - since >= 1000) socket.destroy();
  }, 200);
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearInterval(idle);
  clearTimeout(timer);
  server.closeAllConnections();
}
