import type { IResolvers } from '@graphql-tools/utils';
import DataLoader from 'dataloader';
import { parse, Kind, type DocumentNode } from 'graphql';
import type { DataItem, ResourceDeclaration } from '../../catalog/index.js';
import type { HubContext } from '../../server/context.js';
import { badUserInput, HubError, sourceUnavailable } from '../../server/errors.js';
import { perRequest } from '../../server/per-request.js';
import { parseAsOf, type AsOf } from '../records.js';
import { decodeCursor, pageSize, toConnection } from '../../server/connections.js';
import type { LookupAnswer, LookupSources } from './lookup.js';
import { readDepartmentRecords, type DepartmentRecord } from './records.js';

/**
 * The catalogue drives the contract (as Hasura's metadata drives its schema): every declared
 * resource whose GraphQL type the hand-written contract does not define, and which has a subject
 * key (an ID number or a credit code), gets a generated `@resource` type whose fields are its data
 * items, a connection, a top-level field by subject and, when the subject is a person or an
 * entity, a field on `Person` or `LegalEntity`. The generated SDL carries `@resource`, `@subject`
 * and `@key`, so the field guard, the purpose check and the audit apply to it as to any hand-written
 * library: no resolver is written per resource.
 */
export interface ExposedResource {
  code: string;
  typeName: string;
  /** Top-level field (`deposits(subject:)`) and the field on `Person` / `LegalEntity`. */
  fieldName: string;
  /** The item holding the subject key (stored as the record's subject); null for a resource found only by `foundBy`. */
  subject: string | null;
  /** What the subject key is; with `foundBy`, the first host of `hosts`. */
  subjectOf: KeyKind | null;
  /** Further items a record is found by (the declaration's `foundBy`). */
  foundBy: string[];
  /** The types that get a field for it: each kind of key it is found by. */
  hosts: KeyKind[];
  declaration: ResourceDeclaration;
}

/** What a key names: a person (ID number), a legal entity (credit code) or a division (code). */
export type KeyKind = 'person' | 'legal-entity' | 'division';

const HOST: Record<KeyKind, { type: string; key: string; about: string }> = {
  person: { type: 'Person', key: 'idNumber', about: 'ID number' },
  'legal-entity': { type: 'LegalEntity', key: 'creditCode', about: 'credit code' },
  division: { type: 'Division', key: 'code', about: 'division code' },
};

function kindOf(item: DataItem): KeyKind | null {
  if (/creditCode$/i.test(item.name)) return 'legal-entity';
  if (item.identifiesPerson || /idNumber$/i.test(item.name)) return 'person';
  if (/divisionCode$/i.test(item.name)) return 'division';
  return null;
}

/** Names the hand-written contract already uses: types, and fields of the types generated fields extend. */
export interface ContractNames {
  types: ReadonlySet<string>;
  fields: ReadonlyMap<string, ReadonlySet<string>>;
}

export function contractNames(typeDefs: readonly string[]): ContractNames {
  const types = new Set<string>();
  const fields = new Map<string, Set<string>>();
  for (const sdl of typeDefs) {
    const doc: DocumentNode = parse(sdl);
    for (const def of doc.definitions) {
      if (!('name' in def) || !def.name) continue;
      const name = def.name.value;
      if (def.kind !== Kind.OBJECT_TYPE_EXTENSION && def.kind !== Kind.INTERFACE_TYPE_EXTENSION) types.add(name);
      if ('fields' in def && def.fields) {
        const set = fields.get(name) ?? new Set<string>();
        for (const f of def.fields) set.add(f.name.value);
        fields.set(name, set);
      }
    }
  }
  return { types, fields };
}

/** The subject item of a declaration: as declared, or the one item named like an ID number or credit code. */
export function subjectItemOf(d: ResourceDeclaration): string | null {
  if (d.subject) return d.subject;
  const candidates = d.items.filter((i) => /^(idNumber|creditCode)$|(IdNumber|CreditCode)$/.test(i.name));
  return candidates.length === 1 ? candidates[0].name : null;
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
/** English plural of a type name for its list field: `Deposit` → `deposits`, `EntityTax` → `entityTaxes`; a plural stays. */
const plural = (s: string) =>
  s.endsWith('s') ? s : /(x|z|ch|sh)$/.test(s) ? `${s}es` : /[^aeiou]y$/.test(s) ? `${s.slice(0, -1)}ies` : `${s}s`;

/**
 * Which declarations are exposed, and why the others are not (a reason for each one skipped that
 * would otherwise have been, so a catalogue administrator sees why a dataset did not appear).
 */
export function exposedResources(declarations: Iterable<ResourceDeclaration>, names: ContractNames): { exposed: ExposedResource[]; skipped: { code: string; reason: string }[] } {
  const exposed: ExposedResource[] = [];
  const skipped: { code: string; reason: string }[] = [];
  const typesUsed = new Set<string>();
  const fieldsUsed = new Set<string>();
  const sorted = [...declarations].sort((a, b) => (a.code < b.code ? -1 : 1));
  for (const d of sorted) {
    if (names.types.has(d.graphqlType)) continue; // a hand-written library carries it
    if (!d.sharing.methods.includes('query')) continue;
    const subject = subjectItemOf(d);
    const foundBy = (d.foundBy ?? []).filter((f) => f !== subject);
    const skip = (reason: string) => skipped.push({ code: d.code, reason });
    if (!subject && !foundBy.length) {
      skip('no subject item (declare `subject` or `foundBy`, or name one item idNumber/creditCode or …IdNumber/…CreditCode)');
      continue;
    }
    const typeName = d.graphqlType;
    const fieldName = plural(lowerFirst(typeName));
    const generated = [typeName, `${typeName}Connection`, `${typeName}Edge`];
    if (generated.some((n) => names.types.has(n) || typesUsed.has(n))) {
      skip(`the GraphQL type ${typeName} (or its connection) is already used`);
      continue;
    }
    const keyItems = [subject, ...foundBy].flatMap((k) => d.items.filter((i) => i.name === k));
    const kinds = [...new Set(keyItems.map(kindOf).filter((k): k is KeyKind => k !== null))];
    const subjectItem = subject ? d.items.find((i) => i.name === subject) : undefined;
    const subjectOf = (subjectItem ? kindOf(subjectItem) : null) ?? kinds[0] ?? null;
    const hosts = ['Query', ...kinds.map((k) => HOST[k].type)];
    if (fieldsUsed.has(fieldName) || hosts.some((h) => names.fields.get(h)?.has(fieldName))) {
      skip(`the field ${fieldName} is already used`);
      continue;
    }
    if (d.items.some((i) => i.name === 'provenance')) {
      skip('an item may not be named provenance');
      continue;
    }
    generated.forEach((n) => typesUsed.add(n));
    fieldsUsed.add(fieldName);
    exposed.push({ code: d.code, typeName, fieldName, subject, subjectOf, foundBy, hosts: kinds, declaration: d });
  }
  return { exposed, skipped };
}

const GRAPHQL_TYPES: Record<string, string> = { integer: 'Int', number: 'Float', boolean: 'Boolean', array: '[String]' };
const graphqlTypeOf = (item: DataItem) => GRAPHQL_TYPES[item.type] ?? 'String';
const describe = (text: string) => JSON.stringify(text);

/** The generated SDL of the exposed resources. */
export function departmentTypeDefs(exposed: readonly ExposedResource[]): string[] {
  return exposed.map((e) => {
    const d = e.declaration;
    const items = d.items.map((i) => `  ${describe(`${i.title}: ${i.description}`)}\n  ${i.name}: ${graphqlTypeOf(i)}${i.name === e.subject ? ' @subject' : ''}`);
    const page = 'asOf: String, first: Int = 20, after: String';
    const about = [...new Set(e.hosts.map((h) => HOST[h].about))].join(' or ') || 'key';
    const by = [e.subject, ...e.foundBy].filter(Boolean).join(', ');
    const lines = [
      `${describe(`${d.name} (${d.nameEn}), provided by ${d.provider}: ${d.summary} Generated from the catalogue declaration of ${d.code}.`)}`,
      `type ${e.typeName} @resource(code: ${JSON.stringify(d.code)}) {`,
      ...items,
      '  "Where the record came from (数据来源)."',
      '  provenance: Provenance',
      '}',
      `type ${e.typeName}Connection {\n  edges: [${e.typeName}Edge!]!\n  pageInfo: PageInfo!\n  "Number of records."\n  totalCount: Int!\n}`,
      `type ${e.typeName}Edge {\n  cursor: String!\n  node: ${e.typeName}!\n}`,
      `extend type Query {`,
      `  ${describe(`${d.name} (${d.code}) by ${about} (found by ${by}); as at asOf (ISO 8601, default now).`)}`,
      `  ${e.fieldName}(subject: String! @key(resource: ${JSON.stringify(d.code)}), ${page}): ${e.typeName}Connection`,
      `}`,
    ];
    for (const host of e.hosts) {
      lines.push(
        `extend type ${HOST[host].type} {`,
        `  ${describe(`${d.name} (${d.code}) about this ${host === 'legal-entity' ? 'entity' : host}.`)}`,
        `  ${e.fieldName}(${page}): ${e.typeName}Connection`,
        `}`,
      );
    }
    return lines.join('\n');
  });
}

/** Where a generated record's history and provenance are kept, apart from its data items. */
const META = Symbol('department-record');

interface Meta {
  validFrom: string;
  validTo: string | null;
  provenance: { sourceSystem: string; sourceKey: string; resourceCode: string; resourceVersion: string; fetchedAt: string; appliedAt: string };
}

type Node = Record<string, unknown> & { [META]: Meta };

function nodeOfRecord(e: ExposedResource, r: DepartmentRecord): Node {
  return {
    ...r.payload,
    ...(e.subject ? { [e.subject]: r.payload[e.subject] ?? r.subject } : {}),
    [META]: {
      validFrom: r.validFrom,
      validTo: r.validTo,
      provenance: { sourceSystem: r.sourceSystem, sourceKey: r.sourceKey, resourceCode: r.resource, resourceVersion: r.resourceVersion, fetchedAt: r.fetchedAt, appliedAt: r.appliedAt },
    },
  };
}

function nodeOfAnswer(e: ExposedResource, subject: string, record: Record<string, unknown>, system: string, version: string, fetchedAt: string, index: number): Node {
  const key = typeof record.accountNumber === 'string' ? record.accountNumber : `${subject}#${index}`;
  return {
    ...record,
    ...(e.subject ? { [e.subject]: record[e.subject] ?? subject } : {}),
    [META]: {
      validFrom: fetchedAt,
      validTo: null,
      provenance: { sourceSystem: system, sourceKey: key, resourceCode: e.code, resourceVersion: version, fetchedAt, appliedAt: fetchedAt },
    },
  };
}

/** Per request: one batched read per (resource, moment), and one lookup per (resource, subject). */
function loaders(ctx: HubContext) {
  const stored = new Map<string, DataLoader<string, DepartmentRecord[]>>();
  const asked = new Map<string, DataLoader<string, LookupAnswer>>();
  return {
    stored(e: ExposedResource, asOf: AsOf) {
      const resource = e.code;
      const key = `${resource}|${asOf ?? ''}`;
      let loader = stored.get(key);
      if (!loader) {
        loader = new DataLoader(async (subjects: readonly string[]) => {
          // Found by the subject and by every `foundBy` item: a marriage by either party.
          const found = await readDepartmentRecords(ctx.hub.db.pool, resource, subjects, { asOf, limitPerSubject: 1000, foundBy: e.foundBy, bySubject: e.subject !== null });
          return subjects.map((s) => found.get(s.trim().toUpperCase()) ?? []);
        });
        stored.set(key, loader);
      }
      return loader;
    },
    asked(resource: string, lookups: LookupSources) {
      let loader = asked.get(resource);
      if (!loader) {
        const source = lookups.forResource(resource)!;
        loader = new DataLoader(async (subjects: readonly string[]) => Promise.all(subjects.map((s) => source.lookup(resource, s))), { batch: false });
        asked.set(resource, loader);
      }
      return loader;
    },
  };
}

const NO_LOOKUPS: LookupSources | null = null;

/**
 * Records of one exposed resource about one subject, as a connection: read from `department_record`
 * or, for a `lookup` resource, asked of its source (named in the audit entry; a source that did not
 * answer is `SOURCE_UNAVAILABLE` on this field only).
 */
async function recordsOf(e: ExposedResource, subject: string, args: { asOf?: string | null; first?: number | null; after?: string | null }, parentAsOf: AsOf, ctx: HubContext) {
  const first = pageSize(args.first);
  const after = decodeCursor(args.after, ['string'])?.[0] as string | undefined;
  const asOf = args.asOf === undefined || args.asOf === null ? parentAsOf : parseAsOf(args.asOf);
  const lookups = ctx.hub.lookups ?? NO_LOOKUPS;
  const source = lookups?.forResource(e.code);
  let nodes: Node[];
  if (source && lookups) {
    // A source that keeps its data answers as it stands now; an earlier moment it cannot give.
    // Also when the moment is the parent's (`person(asOf:) { deposits }`): today's answer must not pass for then.
    if (asOf !== null) throw badUserInput('asOf', `${e.code} is asked of its source at query time: it answers as of now only`);
    const done = ctx.access.call(e.code, source.name, subject);
    const answer = await perRequest(ctx, loaders).asked(e.code, lookups).load(subject);
    done(answer.ok ? answer.from : answer.reason);
    if (!answer.ok) {
      // A malformed answer is not data: those fields fail, with why (no values in the message), and the answer sits in quarantine.
      if (answer.reason === 'invalid') {
        throw new HubError('SOURCE_UNAVAILABLE', `${source.definition.department} answered with records that break the record schema of ${e.code}; they were not passed on. The rest of the answer stands.`, {
          department: source.definition.department, resource: e.code, reason: answer.reason, detail: answer.detail,
        });
      }
      throw sourceUnavailable(source.definition.department, { resource: e.code, reason: answer.reason });
    }
    const version = String(ctx.hub.catalog.declarations().get(e.code)?.version ?? '');
    nodes = answer.records.map((r, i) => nodeOfAnswer(e, subject, r, source.name, version, answer.fetchedAt, i));
  } else {
    nodes = (await perRequest(ctx, loaders).stored(e, asOf).load(subject)).map((r) => nodeOfRecord(e, r));
  }
  // A subject's records are few and read whole; the page is still keyset, on the source key.
  const keyOf = (n: Node) => n[META].provenance.sourceKey;
  const ordered = nodes.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const rows = ordered.filter((n) => after === undefined || keyOf(n) > after).slice(0, first + 1);
  return toConnection(rows, first, (n) => [keyOf(n)], (n) => n, undefined, async () => nodes.length);
}

type Resolvers = IResolvers<unknown, HubContext>;
type PageArgs = { asOf?: string | null; first?: number | null; after?: string | null };

/** Resolvers of the generated SDL: the same few functions for every exposed resource. */
export function departmentResolvers(exposed: readonly ExposedResource[]): Resolvers {
  const resolvers: Record<string, Record<string, unknown>> = { Query: {} };
  for (const e of exposed) {
    resolvers.Query[e.fieldName] = (_: unknown, args: PageArgs & { subject: string }, ctx: HubContext) => recordsOf(e, args.subject, args, null, ctx);
    for (const kind of e.hosts) {
      const { type: host, key } = HOST[kind];
      resolvers[host] ??= {};
      resolvers[host][e.fieldName] = (parent: Record<string, unknown>, args: PageArgs, ctx: HubContext) =>
        recordsOf(e, String(parent[key]), args, (parent.asOf as AsOf | undefined) ?? null, ctx);
    }
    const type: Record<string, unknown> = { provenance: (n: Node) => n[META].provenance };
    for (const item of e.declaration.items) {
      if (item.name === 'validFrom' || item.name === 'validTo') type[item.name] = (n: Node) => n[META][item.name as 'validFrom' | 'validTo'];
      else if (item.type === 'array') type[item.name] = (n: Node) => (Array.isArray(n[item.name]) ? (n[item.name] as unknown[]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))) : null);
    }
    resolvers[e.typeName] = type;
  }
  return resolvers as Resolvers;
}
