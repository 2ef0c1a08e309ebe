import path from 'node:path';

export type Mode = 'development' | 'production';

export interface Config {
  /** `development` shows GraphiQL, introspection and error details; `production` hides them. (Default: development) */
  mode: Mode;
  /** Interface the HTTP server binds. (Default: 127.0.0.1; use 0.0.0.0 behind a load balancer) */
  host: string;
  /** HTTP port. (Default: 4000) */
  port: number;
  /** The hub's public address, for URLs it publishes (the DCAT catalogue), without a trailing slash. (Default: http://localhost:<PORT>) */
  publicUrl: string;
  /** PostgreSQL URL. (Default: none, which starts the embedded server) */
  databaseUrl: string | null;
  /**
   * With `DATABASE_URL`: the role that owns the tables and runs migrations, so that the hub's own
   * role (`DATABASE_URL`, a member of `huitong_runtime`) can only append to the audit trail.
   * (Default: none, the same role as `DATABASE_URL`; the embedded set-up always uses two roles)
   */
  databaseOwnerUrl: string | null;
  /** Where the embedded PostgreSQL, the development issuer's keys and other local state live. (Default: .data) */
  dataDir: string;
  /** Port of the embedded PostgreSQL. (Default: 54329) */
  embeddedPgPort: number;
  /** Largest number of pooled PostgreSQL connections. (Default: 10) */
  dbPoolMax: number;
  /** Load the demo data set when the database is empty. (Default: true with the embedded database, false otherwise) */
  loadDemo: boolean;
  /** Accept tokens from the local development issuer (`huitong token`). (Default: true with the embedded database, false otherwise) */
  devIssuer: boolean;
  /** Audience every token must name. (Default: huitong) */
  jwtAudience: string;
  /**
   * Issuers whose tokens are trusted, each with the URL of its JWKS (fetched, cached, refetched on an
   * unknown `kid`): `HUITONG_TRUSTED_ISSUERS='{"https://idp.gov.example/realms/yz":"https://idp.gov.example/realms/yz/jwks"}'`.
   * Systems with a key registered by `huitong key register` need no entry here. (Default: none)
   */
  trustedIssuers: Record<string, string>;
  /**
   * Roles a trusted issuer's tokens may claim, per department (`*` for any other):
   * `HUITONG_TRUSTED_ISSUER_ROLES='{"https://idp.gov.example/realms/yz":{"data-bureau":["catalog-admin","auditor"],"*":["consumer","provider"]}}'`.
   * A token claiming a role not mapped is refused (`role-not-granted`). (Default: `consumer` only, for every issuer and department)
   */
  trustedIssuerRoles: Record<string, Record<string, string[]>>;
  /**
   * Citizen identity issuers, each with the URL of its JWKS, as for `HUITONG_TRUSTED_ISSUERS`: their
   * tokens (`kind: citizen`, `sub` = the citizen's ID number) sign citizens in to their own access
   * log (`myAccessLog`) and to nothing else. (Default: none; the development issuer gives citizen tokens too)
   */
  citizenIssuers: Record<string, string>;
  /** The hub's operator department: its catalogue administrators alone administer the catalogue, its auditors read the trail. (Default: data-bureau) */
  operatorDepartment: string;
  /** Longest access grant, in months from its first day. (Default: 36) */
  grantMaxMonths: number;
  /** Requests a minute each department system may make (per hub instance). (Default: 6000) */
  rateLimitPerMinute: number;
  /** Largest request body in bytes; a POST without a Content-Length is refused. (Default: 102400) */
  maxBodyBytes: number;
  /** A manifest of persisted operations (JSON: id to document); when set, only those run. (Default: none) */
  persistedOperations: string | null;
  /** The audit chain's head is signed (a checkpoint) each time it passes a multiple of this many entries. (Default: 1000) */
  auditCheckpointEvery: number;
  /** Where signed checkpoints are also appended, outside the database (JSON lines). (Default: `<dataDir>/audit-checkpoints.jsonl`) */
  auditCheckpointFile: string;
  /** pino log level. (Default: info; silent in tests) */
  logLevel: string;
  /** Milliseconds that in-flight requests get to finish on shutdown. (Default: 10000) */
  shutdownGraceMs: number;
  /** Milliseconds to connect to PostgreSQL (a new connection) before giving up. (Default: 3000) */
  dbConnectTimeoutMs: number;
  /** Milliseconds a request waits for a pooled connection when all are busy, connecting included. (Default: 3000) */
  dbAcquireTimeoutMs: number;
  /** PostgreSQL `statement_timeout` in milliseconds for the hub's queries; the client gives up 1 s after it if the server is silent. (Default: 10000) */
  dbStatementTimeoutMs: number;
  /** Failed restarts in a row of a dead embedded PostgreSQL before the hub gives up and `/healthz` fails. (Default: 8, about a minute) */
  embeddedPgMaxRestarts: number;
  /** Where rate-limit counts live: `memory` (per hub instance) or `postgres` (shared by every instance on the database). (Default: memory) */
  rateLimitStore: 'memory' | 'postgres';
  /** Port of the simulated financial-institutions lookup system. (Default: 0, a free port) */
  simLookupPort: number;
  /** `huitong serve` starts the simulated department systems (REST APIs, front-end database, drop folder) and points the connectors at them. (Default: true with the demo data, false otherwise) */
  simulators: boolean;
  /** `huitong serve` runs connectors on their cron schedules. (Default: true) */
  scheduleSyncs: boolean;
  /** Records per simulated department dataset. (Default: 2000) */
  simulatorRecords: number;
  /** Folder of connector definitions, one `<id>/connector.json` each. (Default: `connectors/` in the repository) */
  connectorsDir: string | null;
  /** Households a verification batch job verifies per transaction. (Default: 50) */
  verificationBatchChunk: number;
  /** Concurrent batch jobs per hub process (graphile-worker). (Default: 2) */
  verificationWorkers: number;
  /** A batch worker silent this long is taken as dead and its jobs are unlocked, in ms. (Default: 30000) */
  verificationWorkerStaleMs: number;
}

/** Reads every setting once, and reports all problems together rather than the first. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  const embedded = databaseUrl === null;
  const mode = oneOf(env.HUITONG_MODE ?? 'development', 'HUITONG_MODE', ['development', 'production'] as const, problems);
  const config: Config = {
    mode,
    host: env.HOST ?? '127.0.0.1',
    port: int(env.PORT ?? '4000', 'PORT', problems),
    publicUrl: (env.HUITONG_PUBLIC_URL?.trim() || `http://localhost:${env.PORT ?? '4000'}`).replace(/\/+$/, ''),
    databaseUrl,
    databaseOwnerUrl: env.DATABASE_OWNER_URL?.trim() || null,
    dataDir: path.resolve(env.HUITONG_DATA_DIR ?? '.data'),
    embeddedPgPort: int(env.HUITONG_PG_PORT ?? '54329', 'HUITONG_PG_PORT', problems),
    dbPoolMax: int(env.DB_POOL_MAX ?? '10', 'DB_POOL_MAX', problems),
    loadDemo: bool(env.HUITONG_DEMO, embedded, 'HUITONG_DEMO', problems),
    devIssuer: bool(env.HUITONG_DEV_ISSUER, embedded && mode === 'development', 'HUITONG_DEV_ISSUER', problems),
    jwtAudience: env.HUITONG_JWT_AUDIENCE ?? 'huitong',
    trustedIssuers: issuers(env.HUITONG_TRUSTED_ISSUERS, mode, problems),
    citizenIssuers: issuers(env.HUITONG_CITIZEN_ISSUERS, mode, problems, 'HUITONG_CITIZEN_ISSUERS'),
    trustedIssuerRoles: issuerRoles(env.HUITONG_TRUSTED_ISSUER_ROLES, problems),
    operatorDepartment: env.HUITONG_OPERATOR_DEPARTMENT?.trim() || 'data-bureau',
    grantMaxMonths: int(env.HUITONG_GRANT_MAX_MONTHS ?? '36', 'HUITONG_GRANT_MAX_MONTHS', problems),
    rateLimitPerMinute: int(env.HUITONG_RATE_LIMIT_PER_MINUTE ?? '6000', 'HUITONG_RATE_LIMIT_PER_MINUTE', problems),
    maxBodyBytes: int(env.HUITONG_MAX_BODY_BYTES ?? '102400', 'HUITONG_MAX_BODY_BYTES', problems),
    persistedOperations: env.HUITONG_PERSISTED_OPERATIONS?.trim() ? path.resolve(env.HUITONG_PERSISTED_OPERATIONS.trim()) : null,
    auditCheckpointEvery: int(env.HUITONG_AUDIT_CHECKPOINT_EVERY ?? '1000', 'HUITONG_AUDIT_CHECKPOINT_EVERY', problems),
    auditCheckpointFile: path.resolve(env.HUITONG_AUDIT_CHECKPOINT_FILE?.trim() || path.join(env.HUITONG_DATA_DIR ?? '.data', 'audit-checkpoints.jsonl')),
    logLevel: env.LOG_LEVEL ?? (env.VITEST ? 'silent' : 'info'),
    shutdownGraceMs: int(env.HUITONG_SHUTDOWN_GRACE_MS ?? '10000', 'HUITONG_SHUTDOWN_GRACE_MS', problems),
    dbConnectTimeoutMs: int(env.HUITONG_DB_CONNECT_TIMEOUT_MS ?? '3000', 'HUITONG_DB_CONNECT_TIMEOUT_MS', problems),
    dbAcquireTimeoutMs: int(env.HUITONG_DB_ACQUIRE_TIMEOUT_MS ?? '3000', 'HUITONG_DB_ACQUIRE_TIMEOUT_MS', problems),
    dbStatementTimeoutMs: int(env.HUITONG_DB_STATEMENT_TIMEOUT_MS ?? '10000', 'HUITONG_DB_STATEMENT_TIMEOUT_MS', problems),
    embeddedPgMaxRestarts: int(env.HUITONG_PG_MAX_RESTARTS ?? '8', 'HUITONG_PG_MAX_RESTARTS', problems),
    rateLimitStore: oneOf(env.HUITONG_RATE_LIMIT_STORE ?? 'memory', 'HUITONG_RATE_LIMIT_STORE', ['memory', 'postgres'] as const, problems),
    simLookupPort: int(env.HUITONG_SIM_LOOKUP_PORT ?? '0', 'HUITONG_SIM_LOOKUP_PORT', problems),
    simulators: false,
    scheduleSyncs: bool(env.HUITONG_SCHEDULE_SYNCS, true, 'HUITONG_SCHEDULE_SYNCS', problems),
    simulatorRecords: int(env.HUITONG_SIMULATOR_RECORDS ?? '2000', 'HUITONG_SIMULATOR_RECORDS', problems),
    connectorsDir: env.HUITONG_CONNECTORS_DIR?.trim() ? path.resolve(env.HUITONG_CONNECTORS_DIR) : null,
    verificationBatchChunk: int(env.HUITONG_VERIFY_BATCH_CHUNK ?? '50', 'HUITONG_VERIFY_BATCH_CHUNK', problems),
    verificationWorkers: int(env.HUITONG_VERIFY_WORKERS ?? '2', 'HUITONG_VERIFY_WORKERS', problems),
    verificationWorkerStaleMs: int(env.HUITONG_VERIFY_WORKER_STALE_MS ?? '30000', 'HUITONG_VERIFY_WORKER_STALE_MS', problems),
  };
  config.simulators = bool(env.HUITONG_SIMULATORS, config.loadDemo, 'HUITONG_SIMULATORS', problems);
  // Verification's own financial client is gone: deposits and securities come from the one lookup
  // source. A variable that no longer does anything must not pass for configuration.
  if (env.HUITONG_FINANCIAL_URL) problems.push('HUITONG_FINANCIAL_URL: no longer read; set FINANCIAL_INSTITUTIONS_URL (the financial-institutions lookup connector) instead');
  if (env.HUITONG_LOOKUP_TIMEOUT_MS) problems.push('HUITONG_LOOKUP_TIMEOUT_MS: no longer read; a lookup source\'s timeout is `source.timeoutMs` in its connector definition');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL: must start with postgres:// or postgresql://');
  }
  if (!/^https?:\/\/[^/]/.test(config.publicUrl)) problems.push('HUITONG_PUBLIC_URL: must be an http:// or https:// URL');
  if (config.databaseOwnerUrl && !/^postgres(ql)?:\/\//.test(config.databaseOwnerUrl)) {
    problems.push('DATABASE_OWNER_URL: must start with postgres:// or postgresql://');
  }
  if (config.databaseOwnerUrl && !databaseUrl) problems.push('DATABASE_OWNER_URL: only with DATABASE_URL (the embedded set-up makes its own roles)');
  if (config.grantMaxMonths === 0) problems.push('HUITONG_GRANT_MAX_MONTHS: must be at least 1');
  if (!/^[a-z][a-z0-9-]{1,40}$/.test(config.operatorDepartment)) problems.push('HUITONG_OPERATOR_DEPARTMENT: must be a department code');
  for (const [name, value] of [['HUITONG_DB_CONNECT_TIMEOUT_MS', config.dbConnectTimeoutMs], ['HUITONG_DB_ACQUIRE_TIMEOUT_MS', config.dbAcquireTimeoutMs], ['HUITONG_DB_STATEMENT_TIMEOUT_MS', config.dbStatementTimeoutMs]] as const) {
    if (value === 0) problems.push(`${name}: must be at least 1 (every database wait is bounded)`);
  }
  if (config.auditCheckpointEvery === 0) problems.push('HUITONG_AUDIT_CHECKPOINT_EVERY: must be at least 1');
  if (problems.length) throw new Error(`Invalid configuration:\n- ${problems.join('\n- ')}`);
  return config;
}

function int(value: string, name: string, problems: string[]): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) problems.push(`${name}: "${value}" is not a whole number`);
  return n;
}

function bool(value: string | undefined, fallback: boolean, name: string, problems: string[]): boolean {
  if (value === undefined || value === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(value.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(value.toLowerCase())) return false;
  problems.push(`${name}: "${value}" is not one of: true, false`);
  return fallback;
}

function oneOf<T extends string>(value: string, name: string, allowed: readonly T[], problems: string[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`${name}: "${value}" is not one of: ${allowed.join(', ')}`);
  return allowed[0];
}

/**
 * Trusted issuers' JWKS URLs are https: a key set fetched in the clear could be replaced on the way.
 * In development a loopback `http:` URL (127.0.0.0/8, [::1], localhost) is allowed, for a local
 * identity provider or a test's; never in production.
 */
function issuers(value: string | undefined, mode: Mode, problems: string[], name = 'HUITONG_TRUSTED_ISSUERS'): Record<string, string> {
  if (!value?.trim()) return {};
  const shape = `${name}: must be a JSON object of issuer to JWKS URL`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(shape);
    return {};
  }
  for (const [issuer, url] of Object.entries(parsed)) {
    let u: URL | null = null;
    try {
      u = typeof url === 'string' ? new URL(url) : null;
    } catch {
      u = null;
    }
    if (!u) problems.push(`${shape}: the URL of ${issuer} is not a URL`);
    else if (u.protocol === 'https:') continue;
    else if (u.protocol === 'http:' && mode === 'development' && isLoopback(u.hostname)) continue;
    else problems.push(`${name}: the JWKS URL of ${issuer} must be https (http only for a loopback address in development)`);
  }
  return parsed as Record<string, string>;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

const KNOWN_ROLES = ['consumer', 'provider', 'catalog-admin', 'auditor', 'platform-admin'];

function issuerRoles(value: string | undefined, problems: string[]): Record<string, Record<string, string[]>> {
  if (!value?.trim()) return {};
  try {
    const parsed: unknown = JSON.parse(value);
    const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (!isObject(parsed)) throw new Error();
    for (const byDepartment of Object.values(parsed)) {
      if (!isObject(byDepartment)) throw new Error();
      for (const roles of Object.values(byDepartment)) if (!Array.isArray(roles) || !roles.every((r) => KNOWN_ROLES.includes(r))) throw new Error();
    }
    return parsed as Record<string, Record<string, string[]>>;
  } catch {
    problems.push(`HUITONG_TRUSTED_ISSUER_ROLES: must be a JSON object of issuer to { department or "*": [roles of ${KNOWN_ROLES.join(', ')}] }`);
    return {};
  }
}

/** The database timeouts a config names, as `connectDatabase` takes them. */
export function dbTimeouts(config: Pick<Config, 'dbConnectTimeoutMs' | 'dbAcquireTimeoutMs' | 'dbStatementTimeoutMs'>) {
  return { connectTimeoutMs: config.dbConnectTimeoutMs, acquireTimeoutMs: config.dbAcquireTimeoutMs, statementTimeoutMs: config.dbStatementTimeoutMs };
}
