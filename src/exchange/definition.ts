import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { validate as validCron } from 'node-cron';
import { PROJECT_DIR, readRecordSchema, type ResourceDeclaration } from '../catalog/declaration.js';

/** Where connector definitions live: one folder per department system, each with `connector.json`. */
export const CONNECTORS_DIR = path.join(PROJECT_DIR, 'connectors');
export const CONNECTOR_SCHEMA_FILE = path.join(PROJECT_DIR, 'schemas/connector.schema.json');

export type ConnectorKind = 'rest' | 'database' | 'file' | 'lookup';

/** One mapped field: a source path, a constant, or a path with a conversion and a default. */
export type FieldMapping = string | { from?: string; const?: unknown; as?: Conversion; default?: unknown; values?: Record<string, unknown> };
export type Conversion = 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'upper' | 'trim' | 'list';

export interface RestSource {
  /** URL with `${ENV}` placeholders, e.g. `${TAX_API_URL}/records`. */
  url: string;
  /** Bearer token or API key, each named by the environment variable that carries it. (Default: none) */
  auth?: { bearer: string } | { apiKey: { header: string; env: string } };
  /** `cursor`: the response's path to the next cursor, sent back as `param` (default `cursor`); `offset`: the offset parameter's name. */
  paging: { cursor: string; param?: string; limitParam?: string } | { offset: string; limitParam?: string };
  /** Path of the record array in a page, e.g. `items`. */
  records: string;
  /** Records asked per page. (Default: the connector's batch size) */
  pageSize?: number;
  /** Parameters that ask only for records after the committed watermark: `since` (timestamp) and `sinceKey` (the key at it). (Default: none, a full read every run) */
  incremental?: { since: string; sinceKey?: string };
  /** Per request. (Default: 10000) */
  timeoutMs?: number;
  /** Retries of a failed request (timeouts, 5xx, 429) before the run fails. (Default: 5) */
  retries?: number;
  /** First backoff; doubled each retry, with jitter; a 429's Retry-After wins. (Default: 200) */
  backoffMs?: number;
}

export interface DatabaseSource {
  /** PostgreSQL URL of the department's front-end exchange database (前置库), with `${ENV}` placeholders. */
  url: string;
  /** The table (or `schema.table`) read, keyset-ordered by (watermark column, key columns). */
  table: string;
  timeoutMs?: number;
  /** Retries of a failed read, each on a new connection, with exponential backoff. (Default: 3) */
  retries?: number;
  /** First backoff, doubled each retry. (Default: 200) */
  backoffMs?: number;
}

export interface FileSource {
  /** The drop folder, with `${ENV}` placeholders; `done/` and `rejected/` are made beside the files in it. */
  folder: string;
  format: 'csv' | 'xlsx';
  /** CSV field delimiter. (Default: `,`) */
  delimiter?: string;
  /** XLSX worksheet. (Default: the first) */
  sheet?: string;
  /** CSV character encoding; a file not valid in it is rejected, never read garbled. (Default: `utf-8`) */
  encoding?: 'utf-8' | 'gb18030';
  /** A file still changing within this many ms is left for the next run. (Default: 200; 0: no check) */
  settleMs?: number;
}

/** A connector definition, `connectors/<id>/connector.json`, as checked against `schemas/connector.schema.json`. */
export interface ConnectorDefinition {
  /** The folder's name: how commands and the API name the connector. */
  id: string;
  /** The file it was read from, for messages. */
  file: string;
  description?: string;
  /** Department code of the system's owner, registered in the catalogue. */
  department: string;
  /** The department system's id, e.g. `household-register`: recorded as each record's `source_system` (`<department>/<system>`). */
  system: string;
  kind: ConnectorKind;
  /** Catalogue resource this connector feeds, e.g. `tax.income`. */
  resource: string;
  /** Cron expression, hub time zone (node-cron, 5 or 6 fields). Not for `lookup`. */
  schedule?: string;
  /** Scheduled runs happen only when enabled. (Default: true) */
  enabled?: boolean;
  /** Source fields that identify a record at the source: its source key, and the hub's upsert key. */
  key: string[];
  /** Source field giving when the record last changed: rows are read in (watermark, key) order. */
  watermark?: string;
  /** Mapped field holding the record's subject (ID number or credit code), for look-ups by subject. (Default: none) */
  subject?: string;
  /** Records per batch (one transaction each, the watermark advanced with it). (Default: 1000) */
  batchSize?: number;
  /** Environment variables the definition needs (credentials, URLs); checked at run time, never stored. */
  credentials?: string[];
  source: RestSource | DatabaseSource | FileSource | Record<string, unknown>;
  /** Record-schema field → where it comes from in the source record. */
  mapping?: Record<string, FieldMapping>;
}

/** One thing wrong with a definition: the file, the JSON path in it, and what. */
export interface DefinitionProblem {
  file: string;
  path: string;
  message: string;
}

export const formatDefinitionProblem = (p: DefinitionProblem) => `${p.file}: ${p.path || '/'}: ${p.message}`;

export class DefinitionError extends Error {
  constructor(readonly problems: DefinitionProblem[]) {
    super(`Connector definitions refused:\n- ${problems.map(formatDefinitionProblem).join('\n- ')}`);
  }
}

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, verbose: true });
const validateShape = ajv.compile<Omit<ConnectorDefinition, 'id' | 'file'>>(JSON.parse(readFileSync(CONNECTOR_SCHEMA_FILE, 'utf8')));

function ajvProblem(file: string, e: ErrorObject): DefinitionProblem {
  const where = e.instancePath.replace(/\//g, '.').replace(/\.(\d+)/g, '[$1]').replace(/^\./, '');
  const { allowedValues, additionalProperty, allowedValue } = e.params as { allowedValues?: unknown[]; additionalProperty?: string; allowedValue?: unknown };
  const message = allowedValues
    ? `${JSON.stringify(e.data)} is not one of: ${allowedValues.join(', ')}`
    : additionalProperty
      ? `unknown key "${additionalProperty}"`
      : allowedValue !== undefined
        ? `must be ${JSON.stringify(allowedValue)}`
        : (e.message ?? 'is invalid');
  return { file, path: where, message };
}

/** What a definition is checked against besides its own shape. */
export interface DefinitionContext {
  departments: ReadonlySet<string>;
  /** Record schema of each declared resource (its `properties` and `required`), by code. */
  resources: ReadonlyMap<string, { properties: Record<string, unknown>; required: string[]; closed: boolean }>;
}

/** Every problem of one definition: its shape, then its department, resource, schedule and mapping. */
export function checkDefinition(data: unknown, file: string, context: DefinitionContext): DefinitionProblem[] {
  if (!validateShape(data)) {
    const errors = (validateShape.errors ?? []).filter((e) => e.keyword !== 'if' && e.keyword !== 'oneOf' && e.keyword !== 'allOf');
    // `oneOf` alone says little; its branches' errors say what is wrong. Keep it only when nothing else is said.
    const shown = errors.length ? errors : (validateShape.errors ?? []);
    return dedupe(shown.map((e) => ajvProblem(file, e)));
  }
  const d = data;
  const problems: DefinitionProblem[] = [];
  const at = (p: string, message: string) => problems.push({ file, path: p, message });
  if (!context.departments.has(d.department)) at('department', `"${d.department}" is not a registered department`);
  if (d.schedule && !validCron(d.schedule)) at('schedule', `"${d.schedule}" is not a cron expression (minute hour day month weekday)`);
  const resource = context.resources.get(d.resource);
  if (!resource) at('resource', `"${d.resource}" is not a declared catalogue resource (catalog/resources/${d.resource}.json)`);
  if (d.kind !== 'lookup' && resource && d.mapping) {
    for (const target of Object.keys(d.mapping)) {
      if (resource.closed && !(target in resource.properties)) at(`mapping.${target}`, `"${target}" is not a field of ${d.resource}'s record schema`);
    }
    for (const required of resource.required) {
      if (!(required in d.mapping)) at('mapping', `the record schema of ${d.resource} requires "${required}", which nothing maps`);
    }
    if (d.subject && !(d.subject in d.mapping)) at('subject', `"${d.subject}" is not a mapped field`);
  }
  return problems;
}

function dedupe(problems: DefinitionProblem[]): DefinitionProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = formatDefinitionProblem(p);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The record schemas of the declarations in `catalog/resources/`, for checking mappings. */
export function declaredResources(projectDir = PROJECT_DIR): Map<string, { properties: Record<string, unknown>; required: string[]; closed: boolean }> {
  const dir = path.join(projectDir, 'catalog/resources');
  const found = new Map<string, { properties: Record<string, unknown>; required: string[]; closed: boolean }>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    try {
      const declaration = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as ResourceDeclaration;
      // The schema the declaration carries: its file, inline, or derived from its items.
      const read = readRecordSchema(declaration, projectDir);
      const schema = ('schema' in read ? read.schema : {}) as { properties?: Record<string, unknown>; required?: string[]; additionalProperties?: unknown };
      found.set(declaration.code, { properties: schema.properties ?? {}, required: schema.required ?? [], closed: schema.additionalProperties === false });
    } catch {
      // A broken declaration is the catalogue check's to report; its resource is then simply unknown here.
    }
  }
  return found;
}

export function registeredDepartments(projectDir = PROJECT_DIR): Set<string> {
  const list = JSON.parse(readFileSync(path.join(projectDir, 'catalog/departments.json'), 'utf8')) as { code: string }[];
  return new Set(list.map((d) => d.code));
}

/**
 * Reads and checks every `connectors/<id>/connector.json`. Throws a `DefinitionError` listing
 * every problem of every file, so a bad definition stops start-up with all of them named.
 */
export function loadDefinitions(dir = CONNECTORS_DIR, context?: DefinitionContext): ConnectorDefinition[] {
  const ctx = context ?? { departments: registeredDepartments(), resources: declaredResources() };
  const problems: DefinitionProblem[] = [];
  const definitions: ConnectorDefinition[] = [];
  if (!existsSync(dir)) return [];
  for (const id of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    const file = path.relative(process.cwd(), path.join(dir, id, 'connector.json')) || path.join(dir, id, 'connector.json');
    const full = path.join(dir, id, 'connector.json');
    if (!/^[a-z][a-z0-9-]{1,60}$/.test(id)) problems.push({ file, path: '', message: `folder name "${id}" must be lower-case letters, digits and dashes` });
    if (!existsSync(full)) {
      problems.push({ file, path: '', message: 'missing: every folder under connectors/ holds a connector.json' });
      continue;
    }
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(full, 'utf8'));
    } catch (err) {
      problems.push({ file, path: '', message: `not JSON: ${(err as Error).message}` });
      continue;
    }
    const found = checkDefinition(data, file, ctx);
    problems.push(...found);
    if (!found.length) definitions.push({ ...(data as Omit<ConnectorDefinition, 'id' | 'file'>), id, file });
  }
  if (problems.length) throw new DefinitionError(problems);
  return definitions;
}

/** `${NAME}` replaced from `env`; a missing variable is an error naming it. */
export function expand(template: string, env: Record<string, string | undefined>, what: string): string {
  return template.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_m, name: string) => {
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`${what}: the environment variable ${name} is not set`);
    return value;
  });
}

/** The `source_system` of the records a connector delivers. */
export const sourceSystem = (d: Pick<ConnectorDefinition, 'department' | 'system'>) => `${d.department}/${d.system}`;
