import { execute, GraphQLError, type GraphQLSchema } from 'graphql';
import type { Path } from 'graphql/jsutils/Path.js';
import type { AccessReport } from '../access/index.js';
import { creditCodeArgument } from '../registries/legal-entities/index.js';
import { idNumberArgument } from '../registries/population/index.js';
import type { HubContext } from '../server/context.js';
import { HubError, purposeRequired } from '../server/errors.js';
import { departmentRecords, type DepartmentRecordRow } from './department.js';
import { SOURCE_ALIAS, VERSION_ALIAS, type ContractPlan, type DepartmentPlan, type FormPlan } from './plan.js';
import { digestOf, newSalt, signSeal, type SealClaims, type SealedField } from './seal.js';
import type { FieldType } from './template.js';

export type PrefillStatus = 'prefilled' | 'masked' | 'withheld' | 'needs_applicant';

export interface SourceRecord {
  system: string | null;
  version: string | null;
  fetchedAt: string | null;
  resourceVersion: string | null;
}

export interface FieldSourceInfo {
  resource: string;
  /** Provider of the resource, as the catalogue says. */
  department: string | null;
  /** Department system that delivered the (newest) record. */
  system: string | null;
  /** When the hub last fetched a source record of this value. */
  asOf: string | null;
  /** `validFrom` of the newest source record's version. */
  recordVersion: string | null;
  resourceVersion: string | null;
  records: SourceRecord[];
}

export interface PrefilledField {
  name: string;
  title: string;
  type: FieldType;
  value: unknown;
  status: PrefillStatus;
  /** Locked: prefilled from a source and not to be changed by the applicant (the seal covers it). */
  locked: boolean;
  editable: boolean;
  needsApplicant: boolean;
  /** The certificate the field replaces when prefilled, or that the applicant must bring. */
  certificate: string | null;
  /** Why the field needs the applicant or is not in the clear: `applicant-supplied`, `no-data`, or the policy's reasons. */
  reasons: string[];
  source: FieldSourceInfo | null;
}

export interface PrefilledForm {
  form: string;
  version: string;
  name: string;
  subject: string;
  subjectFound: boolean;
  preparedAt: string;
  purpose: string;
  caseNumber: string;
  fields: PrefilledField[];
  /** Certificates the applicant no longer brings (the prefilled fields'), and those still to bring. */
  certificatesReplaced: string[];
  certificatesRequired: string[];
  seal: string;
  /** The seal's claims, for the re-check (not part of the contract's answer). */
  claims: SealClaims;
}

/** Where the answer puts the form (`root`) and each of its fields, for the access report's paths. */
export interface AnswerPaths {
  root: (string | number)[];
  field(index: number): (string | number)[];
}

/** The caller must be known and state a purpose: a prefill reads personal data. */
export function requireCallerWithPurpose(ctx: HubContext): { department: string; system: string; purpose: string; caseNumber: string } {
  const { principal, purpose } = ctx.access;
  if (!principal) throw new HubError('UNAUTHENTICATED', 'A signed token is needed to prefill a form.', { reason: 'missing-token', http: { status: 401 } });
  if (!purpose) throw purposeRequired('missing-purpose');
  return { department: principal.department, system: principal.system, purpose: purpose.code, caseNumber: purpose.caseNumber };
}

/**
 * Fills a form for one subject, as the caller: the plan's document runs against the served schema
 * with the caller's own context, so every value passes the field guard (clear, masked or
 * withheld per grant), lands in the request's audit entry and in its access report; department
 * records go through the same access session. The answer carries a seal over the locked values.
 */
export async function runPrefill(ctx: HubContext, schema: GraphQLSchema, plan: FormPlan, rawSubject: string, at: AnswerPaths): Promise<PrefilledForm> {
  const caller = requireCallerWithPurpose(ctx);
  const subject =
    plan.template.subject === 'person' ? await idNumberArgument(ctx, 'subject', rawSubject) : creditCodeArgument('subject', rawSubject);
  const report = ctx.access.report;
  // Department records are read while the document runs (each released only below, field by field).
  const departmentCache = new Map<string, Promise<DepartmentRecordRow[]>>();
  for (const f of plan.fields) {
    if (f.kind === 'department' && !departmentCache.has(f.source.resource)) {
      const rows = departmentRecords(ctx.hub.db.pool, f.source.resource, subject);
      rows.catch(() => {}); // awaited below; a failure then fails the prefill
      departmentCache.set(f.source.resource, rows);
    }
  }
  const data = plan.document ? await runDocument(ctx, schema, plan, subject) : null;
  // What the guard reported under the document's own paths, put back under the answer's fields.
  const nested: AccessReport = { masked: report.masked.splice(data?.marks.masked ?? report.masked.length), withheld: report.withheld.splice(data?.marks.withheld ?? report.withheld.length) };
  const root = data?.result ? (data.result[plan.root] as Record<string, unknown> | null) : null;
  const subjectFound = plan.document ? root !== null && root !== undefined : true;

  const fields: PrefilledField[] = [];
  for (const [index, fieldPlan] of plan.fields.entries()) {
    const f = fieldPlan.field;
    const base = { name: f.name, title: f.title, type: f.type, certificate: f.certificate };
    const fieldPath = at.field(index);
    if (fieldPlan.kind === 'applicant') {
      fields.push({ ...base, value: null, status: 'needs_applicant', locked: false, editable: true, needsApplicant: true, reasons: ['applicant-supplied'], source: null });
      continue;
    }
    const filled =
      fieldPlan.kind === 'contract'
        ? contractField(ctx, fieldPlan, data?.result ?? null, subjectFound, nested, fieldPath, data?.unavailable ?? [])
        : await departmentField(ctx, fieldPlan, subject, subjectFound, departmentCache, fieldPath);
    const locked = f.locked && (filled.status === 'prefilled' || filled.status === 'masked');
    const needsApplicant = filled.status === 'withheld' || filled.status === 'needs_applicant';
    fields.push({ ...base, ...filled, locked, editable: !locked, needsApplicant });
  }
  // Report entries of the document that no field claimed (none expected) still reach the caller.
  for (const m of nested.masked) report.masked.push({ path: [...at.root, ...m.path], rule: m.rule });
  for (const w of nested.withheld) report.withheld.push({ path: [...at.root, ...w.path], reason: w.reason });

  const preparedAt = new Date();
  const salt = newSalt();
  const sealed: Record<string, SealedField> = {};
  for (const f of fields) if (f.locked) sealed[f.name] = { digest: digestOf(salt, f.value), versions: f.source?.records.map((r) => r.version) ?? [] };
  const claims: SealClaims = {
    iss: 'huitong',
    sub: subject,
    form: plan.template.code,
    formVersion: plan.template.version,
    preparedAt: preparedAt.toISOString(),
    iat: Math.floor(preparedAt.getTime() / 1000),
    ...caller,
    salt,
    fields: sealed,
  };
  const unique = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => !!x))];
  return {
    form: plan.template.code,
    version: plan.template.version,
    name: plan.template.name,
    subject,
    subjectFound,
    preparedAt: claims.preparedAt,
    purpose: caller.purpose,
    caseNumber: caller.caseNumber,
    fields,
    certificatesReplaced: unique(fields.filter((f) => !f.needsApplicant).map((f) => f.certificate)),
    certificatesRequired: unique(fields.filter((f) => f.needsApplicant).map((f) => f.certificate)),
    seal: await signSeal(ctx.hub.audit.key, claims),
    claims,
  };
}

async function runDocument(ctx: HubContext, schema: GraphQLSchema, plan: FormPlan, subject: string) {
  const marks = { masked: ctx.access.report.masked.length, withheld: ctx.access.report.withheld.length };
  const result = await execute({ schema, document: plan.document!, contextValue: ctx, variableValues: { subject } });
  // A source that did not answer leaves its fields to the applicant; the rest of the form stands.
  // Any other error (and any at the root: a bad subject) fails the prefill with its own code.
  const unavailable: string[] = [];
  for (const error of result.errors ?? []) {
    if (error.extensions?.code === 'SOURCE_UNAVAILABLE' && error.path && error.path.length > 1) {
      ctx.hub.logger.warn({ form: plan.key, path: error.path.join('.'), department: error.extensions.department }, 'prefill source unavailable');
      unavailable.push(strip(error.path));
      continue;
    }
    if (error.extensions?.code) throw new GraphQLError(error.message, { extensions: error.extensions });
    throw error.originalError ?? error;
  }
  return { result: (result.data ?? null) as Record<string, unknown> | null, marks, unavailable };
}

type Filled = Pick<PrefilledField, 'value' | 'status' | 'reasons' | 'source'>;

/** The values at `segments` below `value`, lists flattened, nulls dropped. */
function collect(value: unknown, segments: readonly string[]): unknown[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v) => collect(v, segments));
  if (!segments.length) return [value];
  return collect((value as Record<string, unknown>)[segments[0]], segments.slice(1));
}

const strip = (path: readonly (string | number)[]) => path.filter((k) => typeof k === 'string').join('.');

function contractField(
  ctx: HubContext,
  plan: ContractPlan,
  data: Record<string, unknown> | null,
  subjectFound: boolean,
  nested: AccessReport,
  fieldPath: (string | number)[],
  unavailable: readonly string[],
): Filled {
  const owners = collect(data, plan.owner) as Record<string, unknown>[];
  const ownerPath = plan.owner.join('.');
  const valuePaths = new Set((plan.read.kind === 'select' ? plan.read.items : [plan.read.item]).map((i) => `${ownerPath}.${i}`));
  const metaPrefixes = [`${ownerPath}.${VERSION_ALIAS}`, `${ownerPath}.${SOURCE_ALIAS}`];
  // Claim this field's entries of the guard's report, and report them once per field under the
  // answer's path (`fields[i].value`, or `.source` for the records' provenance).
  const claim = <E extends { path: (string | number)[] }>(entries: E[], onto: E[]): E[] => {
    const mine: E[] = [];
    const told = new Set<string>();
    for (let i = entries.length - 1; i >= 0; i--) {
      const p = strip(entries[i].path);
      const sub = valuePaths.has(p) ? 'value' : metaPrefixes.some((m) => p.startsWith(m)) ? 'source' : null;
      if (!sub) continue;
      const [e] = entries.splice(i, 1);
      if (sub === 'value') mine.push(e);
      const moved = { ...e, path: [...fieldPath, sub] };
      const key = JSON.stringify(moved);
      if (!told.has(key)) onto.push(moved);
      told.add(key);
    }
    return mine;
  };
  const report = ctx.access.report;
  const masked = claim(nested.masked, report.masked);
  const withheld = claim(nested.withheld, report.withheld);

  let value: unknown;
  let empty: boolean;
  if (plan.read.kind === 'select') {
    const items = plan.read.items;
    value = owners.map((o) => Object.fromEntries(items.map((i) => [i, o[i] ?? null])));
    // No records is an answer (no property: the 无房证明 it replaces), once the subject is found.
    empty = !subjectFound;
  } else if (plan.read.kind === 'count') {
    const item = plan.read.item;
    value = owners.filter((o) => o[item] !== null && o[item] !== undefined).length;
    empty = !subjectFound;
  } else {
    const item = plan.read.item;
    const values = owners.flatMap((o) => (Array.isArray(o[item]) ? (o[item] as unknown[]) : [o[item]])).filter((v) => v !== null && v !== undefined);
    value = plan.many || plan.read.list ? values : (values[0] ?? null);
    empty = plan.many || plan.read.list ? !subjectFound : values.length === 0;
  }
  const under = (p: string, above: string) => p === above || p.startsWith(`${above}.`);
  if (unavailable.some((u) => under(ownerPath, u) || [...valuePaths].some((v) => under(v, u)))) {
    return { value: null, status: 'needs_applicant', reasons: ['source-unavailable'], source: sourceInfo(ctx, plan.resource, []) };
  }
  const status: PrefillStatus = withheld.length ? 'withheld' : masked.length ? 'masked' : empty ? 'needs_applicant' : 'prefilled';
  if (status === 'withheld' && plan.read.kind === 'count') value = null;
  if (status === 'needs_applicant' && (plan.read.kind === 'count' || (plan.read.kind === 'leaf' && !(plan.many || plan.read.list)))) value = null;
  const reasons = [...new Set(withheld.map((w) => w.reason))];
  if (status === 'needs_applicant') reasons.push(subjectFound ? 'no-data' : 'no-record');
  const records: SourceRecord[] = plan.meta
    ? owners.map((o) => {
        const s = (o[SOURCE_ALIAS] ?? null) as { sourceSystem?: string | null; resourceVersion?: string | null; fetchedAt?: string | null } | null;
        return { system: s?.sourceSystem ?? null, version: (o[VERSION_ALIAS] as string | null) ?? null, fetchedAt: s?.fetchedAt ?? null, resourceVersion: s?.resourceVersion ?? null };
      })
    : [];
  return { value, status, reasons, source: sourceInfo(ctx, plan.resource, records) };
}

function sourceInfo(ctx: HubContext, resource: string, records: SourceRecord[]): FieldSourceInfo {
  const newest = [...records].sort((a, b) => (b.version ?? '').localeCompare(a.version ?? ''))[0];
  const fetched = records.map((r) => r.fetchedAt).filter((x): x is string => !!x).sort();
  return {
    resource,
    department: ctx.hub.catalog.resource(resource)?.provider ?? null,
    system: newest?.system ?? records.find((r) => r.system)?.system ?? null,
    asOf: fetched.at(-1) ?? null,
    recordVersion: newest?.version ?? null,
    resourceVersion: newest?.resourceVersion ?? null,
    records,
  };
}

function pathFrom(keys: readonly (string | number)[]): Path {
  let path: Path | undefined;
  for (const key of keys) path = { prev: path, key, typename: undefined };
  return path!;
}

/**
 * A department record's item, released through the caller's access session like any field of a
 * `@resource` type: the subject is recorded (found or not), the item decided by grant and
 * sensitivity, masked or withheld in the access report under the answer's own path. The record's
 * source (system, version) is told only with a released value.
 */
async function departmentField(
  ctx: HubContext,
  plan: DepartmentPlan,
  subject: string,
  subjectFound: boolean,
  cache: Map<string, Promise<DepartmentRecordRow[]>>,
  fieldPath: (string | number)[],
): Promise<Filled> {
  const { resource, item } = plan.source;
  const aggregate = plan.source.aggregate ?? 'latest';
  ctx.access.consult({ kind: 'key', path: ['subject'], argument: 'subject', resource, items: [] }, subject);
  let rows = cache.get(resource);
  if (!rows) cache.set(resource, (rows = departmentRecords(ctx.hub.db.pool, resource, subject)));
  const all = await rows;
  const chosen = aggregate === 'latest' ? all.slice(0, 1) : all;
  const report = ctx.access.report;
  const marks = { masked: report.masked.length, withheld: report.withheld.length };
  const released = chosen.map((row, i) => {
    const keys = aggregate === 'latest' ? [...fieldPath, 'value'] : [...fieldPath, 'value', i];
    const value = ctx.access.release({ resource, type: 'DepartmentRecord', field: item, linksRecords: false }, subject, pathFrom(keys), row.payload[item] ?? null);
    return { row, value };
  });
  const masked = report.masked.length > marks.masked;
  const withheld = report.withheld.slice(marks.withheld);
  const shown = released.filter((r) => r.value !== null && r.value !== undefined);
  let value: unknown;
  if (aggregate === 'count') value = withheld.length ? null : shown.length;
  else if (aggregate === 'sum') value = withheld.length || !shown.length ? null : shown.reduce((s, r) => s + Number(r.value), 0);
  else if (aggregate === 'list') value = shown.map((r) => r.value);
  else value = shown[0]?.value ?? null;
  // A count of none is an answer (no vehicle: the 无车证明 it replaces), unless the subject is unknown.
  const empty = !subjectFound && !all.length ? true : aggregate === 'count' ? false : aggregate === 'list' ? shown.length === 0 : value === null;
  if (empty && aggregate === 'count') value = null;
  const status: PrefillStatus = withheld.length ? 'withheld' : masked ? 'masked' : empty ? 'needs_applicant' : 'prefilled';
  const reasons = [...new Set(withheld.map((w) => w.reason))];
  if (status === 'needs_applicant') reasons.push(subjectFound ? 'no-data' : 'no-record');
  const records: SourceRecord[] = shown.map(({ row }) => ({ system: row.sourceSystem, version: row.validFrom, fetchedAt: row.fetchedAt, resourceVersion: row.resourceVersion }));
  return { value, status, reasons, source: sourceInfo(ctx, resource, records) };
}
