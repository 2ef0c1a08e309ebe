import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import {
  BrokenCircuitError, CircuitState, ConsecutiveBreaker, TaskCancelledError, TimeoutStrategy, circuitBreaker, handleAll, timeout, wrap,
  type CircuitBreakerPolicy, type IPolicy,
} from 'cockatiel';
import type { Logger } from '../../log.js';

/** Folder of connector definitions, one `<system>/connector.json` each. */
export const CONNECTORS_DIR = path.resolve(import.meta.dirname, '../../../connectors');

/** One resource a lookup source answers, and where. */
export interface LookupRoute {
  resource: string;
  /** Path under the base URL, `{subject}` replaced by the subject key, e.g. `/deposits/{subject}`. */
  path: string;
  /** Where the records are in the answer (a dotted path). (Default: `records`) */
  records: string;
}

/**
 * A `lookup` connector: data that stays at its source and is asked for at query time. Read from
 * `connectors/<system>/connector.json` (`kind: "lookup"`); fields this reader does not know are
 * the connector runtime's and are ignored.
 */
export interface LookupDefinition {
  department: string;
  system: string;
  /** Base URL, with `${NAME}` replaced by the environment variable NAME; `null` when a variable is unset. */
  baseUrl: string | null;
  /** The URL as written, for messages. */
  urlTemplate: string;
  /** Longest wait for one answer, in ms. (Default: 800) */
  timeoutMs: number;
  /** How long an answer is reused for the same subject, in ms; 0 to not cache. (Default: 30000) */
  ttlMs: number;
  /** Consecutive failures (timeouts included) that open the breaker. (Default: 5) */
  breakerFailures: number;
  /** How long an open breaker refuses calls before it lets one through to test the source, in ms. (Default: 10000) */
  halfOpenAfterMs: number;
  routes: LookupRoute[];
  /** Where it was read from. */
  file: string;
}

/**
 * Why a lookup gave no records. `invalid`: the source answered, but its records break the
 * resource's record schema (kept in quarantine, never passed on as data).
 */
export type LookupFailure = 'timeout' | 'breaker-open' | 'error' | 'not-configured' | 'invalid';

/** A compiled record schema, as ajv gives it (errors in `errors` after a failed call). */
export interface RecordCheck {
  (record: unknown): boolean;
  errors?: { instancePath: string; message?: string }[] | null;
}

/**
 * What lookup answers are checked against and where malformed ones go (wired by the hub at start:
 * the catalogue's record schemas, the exchange's quarantine). Without checks, answers pass as given.
 */
export interface LookupChecks {
  /** The resource's compiled record schema and its catalogue version; null when the catalogue has none. */
  validatorFor(resource: string): { check: RecordCheck; version: string } | null;
  /** Keeps a malformed answer; resolves to the quarantined record's id. */
  quarantine(entry: { connector: string; resource: string; version: string; subject: string; errors: string[]; payload: unknown; fetchedAt: string }): Promise<string>;
}

export type LookupAnswer =
  | { ok: true; records: Record<string, unknown>[]; from: 'source' | 'cache'; ms: number; fetchedAt: string }
  | { ok: false; reason: LookupFailure; detail: string; ms: number };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fill(template: string, env: Record<string, string | undefined>): string | null {
  let missing = false;
  const out = template.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (!v) missing = true;
    return v ?? '';
  });
  return missing ? null : out.replace(/\/+$/, '');
}

/**
 * Reads every lookup definition under `dir`, tolerant of fields it does not know, and lists every
 * problem by file and path (a definition with problems is left out).
 */
export function readLookupDefinitions(
  dir = CONNECTORS_DIR,
  env: Record<string, string | undefined> = process.env,
): { definitions: LookupDefinition[]; problems: string[] } {
  const definitions: LookupDefinition[] = [];
  const problems: string[] = [];
  const systems = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort() : [];
  for (const system of systems) {
    const file = path.join(dir, system, 'connector.json');
    if (!existsSync(file)) continue;
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      problems.push(`${file}: not valid JSON: ${(err as Error).message}`);
      continue;
    }
    if (!isObject(data) || data.kind !== 'lookup') continue;
    const definition = lookupDefinitionOf(data, file, env, problems);
    if (definition) definitions.push(definition);
  }
  return { definitions, problems };
}

/** One lookup definition from its parsed JSON; `null` (with problems noted) when it is unusable. */
export function lookupDefinitionOf(data: Record<string, unknown>, file: string, env: Record<string, string | undefined>, problems: string[]): LookupDefinition | null {
  const before = problems.length;
  const at = (p: string, message: string) => problems.push(`${file}: ${p}: ${message}`);
  const text = (v: unknown, p: string) => (typeof v === 'string' && v ? v : (at(p, 'must be a non-empty string'), ''));
  const positive = (v: unknown, p: string, fallback: number) =>
    v === undefined ? fallback : Number.isInteger(v) && (v as number) >= 0 ? (v as number) : (at(p, 'must be a whole number'), fallback);
  const department = text(data.department, 'department');
  const system = text(data.system, 'system');
  const resource = text(data.resource, 'resource');
  const source = isObject(data.source) ? data.source : (at('source', 'must be an object'), {} as Record<string, unknown>);
  const urlTemplate = text(source.url, 'source.url');
  const routes: LookupRoute[] = [];
  const declared = isObject(source.resources) ? source.resources : { [resource]: { path: source.path, records: source.records } };
  for (const [code, route] of Object.entries(declared)) {
    if (!isObject(route) || typeof route.path !== 'string' || !route.path.includes('{subject}')) {
      at(`source.resources.${code}.path`, 'must be a path with {subject}');
      continue;
    }
    routes.push({ resource: code, path: route.path, records: typeof route.records === 'string' ? route.records : 'records' });
  }
  if (resource && !routes.some((r) => r.resource === resource)) at('source.resources', `must include the connector's resource ${resource}`);
  const definition: LookupDefinition = {
    department,
    system,
    urlTemplate,
    baseUrl: urlTemplate ? fill(urlTemplate, env) : null,
    timeoutMs: positive(source.timeoutMs, 'source.timeoutMs', 800),
    ttlMs: positive(source.ttlMs, 'source.ttlMs', 30_000),
    breakerFailures: positive((source.breaker as Record<string, unknown> | undefined)?.failures, 'source.breaker.failures', 5),
    halfOpenAfterMs: positive((source.breaker as Record<string, unknown> | undefined)?.halfOpenAfterMs, 'source.breaker.halfOpenAfterMs', 10_000),
    routes,
    file,
  };
  return problems.length === before ? definition : null;
}

/** The records found at a dotted path of an answer. */
function recordsAt(body: unknown, where: string): Record<string, unknown>[] {
  let v: unknown = body;
  for (const key of where.split('.')) v = isObject(v) ? v[key] : undefined;
  if (!Array.isArray(v) || !v.every(isObject)) throw new Error(`the answer has no list of records at ${where}`);
  return v;
}

/** Most answers kept per source; the oldest go first. */
const CACHE_MAX = 10_000;

/**
 * One lookup source: every call within a timeout, answers reused for a short TTL, and a circuit
 * breaker (cockatiel) so that a source that keeps failing is not waited for on every request:
 * while open, calls fail at once as `breaker-open` until a trial call succeeds.
 */
export class LookupSource {
  readonly breaker: CircuitBreakerPolicy;
  private readonly policy: IPolicy;
  private readonly cache = new Map<string, { at: number; records: Record<string, unknown>[]; fetchedAt: string } | { at: number; invalid: string }>();
  /** Set by `LookupSources.check`: the record schemas answers must meet, and the quarantine. */
  checks: LookupChecks | null = null;
  private readonly inflight = new Map<string, Promise<LookupAnswer>>();

  constructor(
    readonly definition: LookupDefinition,
    private readonly logger?: Logger,
  ) {
    this.breaker = circuitBreaker(handleAll, { halfOpenAfter: definition.halfOpenAfterMs, breaker: new ConsecutiveBreaker(Math.max(1, definition.breakerFailures)) });
    // The breaker outside the timeout: a timed-out call counts as a failure.
    this.policy = wrap(this.breaker, timeout(definition.timeoutMs, TimeoutStrategy.Aggressive));
    this.breaker.onStateChange((state) => this.logger?.warn({ system: definition.system, state: CircuitState[state] }, 'lookup breaker changed state'));
  }

  /** `department/system`, as calls are named in the audit trail. */
  get name(): string {
    return `${this.definition.department}/${this.definition.system}`;
  }

  get state(): 'closed' | 'open' | 'half-open' | 'isolated' {
    return (['closed', 'open', 'half-open', 'isolated'] as const)[this.breaker.state];
  }

  serves(resource: string): boolean {
    return this.definition.routes.some((r) => r.resource === resource);
  }

  /** The records of `resource` about `subject`, from the cache, or from the source within the timeout. */
  lookup(resource: string, subject: string): Promise<LookupAnswer> {
    const key = `${resource}\u0000${subject}`;
    const started = performance.now();
    const cached = this.cache.get(key);
    if (cached && performance.now() - cached.at < this.definition.ttlMs) {
      // A malformed answer is remembered as such for the TTL too: quarantined once, not on every ask.
      if ('invalid' in cached) return Promise.resolve({ ok: false, reason: 'invalid', detail: cached.invalid, ms: 0 });
      return Promise.resolve({ ok: true, records: cached.records, from: 'cache', ms: 0, fetchedAt: cached.fetchedAt });
    }
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const call = this.call(resource, subject, key, started).finally(() => this.inflight.delete(key));
    this.inflight.set(key, call);
    return call;
  }

  private async call(resource: string, subject: string, key: string, started: number): Promise<LookupAnswer> {
    const route = this.definition.routes.find((r) => r.resource === resource);
    const ms = () => Math.round(performance.now() - started);
    if (!route || !this.definition.baseUrl) {
      return { ok: false, reason: 'not-configured', detail: route ? `${this.definition.urlTemplate} names an unset variable` : `${resource} is not served`, ms: ms() };
    }
    const url = `${this.definition.baseUrl}${route.path.replace('{subject}', encodeURIComponent(subject))}`;
    try {
      const records = await this.policy.execute(async ({ signal }) => {
        const res = await fetch(url, { signal, headers: { accept: 'application/json' } });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return recordsAt(await res.json(), route.records);
        // A signal per call: without one, cockatiel hangs every concurrent call's listener on one shared signal (Node warns past 10).
      }, new AbortController().signal);
      const fetchedAt = new Date().toISOString();
      // Checked outside the breaker: a source that answers wrongly is answering, not down.
      const invalid = await this.checked(resource, subject, records, fetchedAt);
      if (this.definition.ttlMs > 0) {
        if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
        this.cache.set(key, invalid === null ? { at: performance.now(), records, fetchedAt } : { at: performance.now(), invalid });
      }
      if (invalid !== null) return { ok: false, reason: 'invalid', detail: invalid, ms: ms() };
      return { ok: true, records, from: 'source', ms: ms(), fetchedAt };
    } catch (err) {
      const reason: LookupFailure = err instanceof BrokenCircuitError ? 'breaker-open' : err instanceof TaskCancelledError ? 'timeout' : 'error';
      this.logger?.warn({ system: this.definition.system, resource, reason, err: reason === 'error' ? err : undefined }, 'lookup failed');
      return { ok: false, reason, detail: reason === 'error' ? (err as Error).message : reason, ms: ms() };
    }
  }

  /** Connector id: the definition's folder under `connectors/`. */
  get connector(): string {
    return path.basename(path.dirname(this.definition.file));
  }

  /**
   * Checks an answer's records against the resource's record schema. Null when they pass (or no
   * schema is known); otherwise why, after the whole answer was put in quarantine.
   */
  private async checked(resource: string, subject: string, records: Record<string, unknown>[], fetchedAt: string): Promise<string | null> {
    const validator = this.checks?.validatorFor(resource);
    if (!validator) return null;
    const errors: string[] = [];
    records.forEach((r, i) => {
      if (!validator.check(r)) for (const e of validator.check.errors ?? []) errors.push(`records[${i}]${e.instancePath}: ${e.message ?? 'invalid'}`);
    });
    if (!errors.length) return null;
    let where = 'not kept: quarantine failed';
    try {
      const id = await this.checks!.quarantine({ connector: this.connector, resource, version: validator.version, subject, errors, payload: { records }, fetchedAt });
      where = `quarantined as record ${id}`;
    } catch (err) {
      this.logger?.error({ system: this.definition.system, resource, err }, 'a malformed lookup answer could not be quarantined');
    }
    this.logger?.warn({ system: this.definition.system, resource, errors: errors.length }, 'lookup answer breaks the record schema');
    return `the answer breaks the record schema of ${resource} (${errors.slice(0, 3).join('; ')}${errors.length > 3 ? `; ${errors.length - 3} more` : ''}); ${where}`;
  }

  /** Forgets cached answers (tests; a source that announced a change). */
  clear(): void {
    this.cache.clear();
  }
}

/** Every lookup source of the hub, by the resources they answer. */
export class LookupSources {
  private readonly byResource = new Map<string, LookupSource>();

  constructor(readonly sources: LookupSource[]) {
    for (const source of sources) for (const route of source.definition.routes) this.byResource.set(route.resource, source);
  }

  /** Checks every source's answers with `checks` from now on (the hub wires this at start). */
  check(checks: LookupChecks | null): void {
    for (const source of this.sources) source.checks = checks;
  }

  /** The source answering `resource`, if it is a lookup resource. */
  forResource(resource: string): LookupSource | undefined {
    return this.byResource.get(resource);
  }

  static none(): LookupSources {
    return new LookupSources([]);
  }
}

/**
 * The hub's lookup sources from the connector definitions (`connectors/<system>/connector.json`,
 * `kind: "lookup"`), their base URLs filled from `env`. `override` adjusts definitions (tests use
 * short timeouts). A definition with problems stops the start, naming every problem.
 */
export function createLookupSources(
  options: { dir?: string; env?: Record<string, string | undefined>; logger?: Logger; override?: Partial<Omit<LookupDefinition, 'routes' | 'file'>> } = {},
): LookupSources {
  const { definitions, problems } = readLookupDefinitions(options.dir, options.env ?? process.env);
  if (problems.length) throw new Error(`Invalid lookup connector definitions:\n- ${problems.join('\n- ')}`);
  return new LookupSources(definitions.map((d) => new LookupSource({ ...d, ...options.override }, options.logger)));
}
