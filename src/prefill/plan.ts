import { getDirective } from '@graphql-tools/utils';
import {
  getNamedType,
  getNullableType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  parse,
  validate,
  type DocumentNode,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import type { PolicySource } from '../access/index.js';
import { FormError, isDepartmentSource, type DepartmentSource, type FormField, type FormProblem, type FormTemplate } from './template.js';

/** Aliases under which the plan asks for each source record's version and provenance. */
export const VERSION_ALIAS = 'prefillVersion';
export const SOURCE_ALIAS = 'prefillSource';

/** A field filled from the contract: where its records and values are in the plan's response. */
export interface ContractPlan {
  kind: 'contract';
  field: FormField;
  /** Path segments to the records that hold the value (their version and provenance are the field's source). */
  owner: string[];
  /** The item read from each owner record (`leaf`), the items of each record (`select`), or a count decided by `item`. */
  read: { kind: 'leaf'; item: string; list: boolean } | { kind: 'select'; items: string[] } | { kind: 'count'; item: string };
  /** Whether the path crosses a list, so the field may hold several values. */
  many: boolean;
  /** Catalogue resource of the owner records and its provider. */
  resource: string;
  /** Whether the owner type carries `validFrom` and `provenance` (every base-library record does). */
  meta: boolean;
}

export interface DepartmentPlan {
  kind: 'department';
  field: FormField;
  source: DepartmentSource;
}

export interface ApplicantPlan {
  kind: 'applicant';
  field: FormField;
}

export type FieldPlan = ContractPlan | DepartmentPlan | ApplicantPlan;

/** A checked template: one GraphQL document for all its contract paths, run as the caller. */
export interface FormPlan {
  template: FormTemplate;
  /** `code@version`. */
  key: string;
  /** The root field and its key argument: `person(idNumber:)` or `legalEntity(creditCode:)`. */
  root: 'person' | 'legalEntity';
  document: DocumentNode | null;
  /** The document's text, for documentation and the audit's document hash. */
  text: string | null;
  fields: FieldPlan[];
}

const ROOTS = { person: { field: 'person', arg: 'idNumber' }, 'legal-entity': { field: 'legalEntity', arg: 'creditCode' } } as const;

interface Node {
  children: Map<string, Node>;
  meta: boolean;
}
const node = (): Node => ({ children: new Map(), meta: false });

/**
 * Checks a template against the served contract and the catalogue: every path must resolve field
 * by field from the subject's root to a data item of a catalogued resource (or to records whose
 * selected items are catalogued), every department source to a catalogued item. Throws
 * `FormError` naming every bad path. Returns the plan the prefill runs.
 */
export function planForm(template: FormTemplate, schema: GraphQLSchema, catalog: PolicySource): FormPlan {
  const problems: FormProblem[] = [];
  const root = ROOTS[template.subject];
  const tree = node();
  const fields: FieldPlan[] = template.fields.map((field, i) => {
    const at = `fields[${i}].source`;
    if (!field.source) return { kind: 'applicant', field };
    if (isDepartmentSource(field.source)) {
      const resource = catalog.resource(field.source.resource);
      if (!resource) problems.push({ at: `${at}.resource`, problem: `"${field.source.resource}" is not a current catalogue resource` });
      else if (!resource.items.has(field.source.item)) {
        problems.push({ at: `${at}.item`, problem: `"${field.source.item}" is not a data item of ${field.source.resource} (items: ${[...resource.items.keys()].join(', ')})` });
      }
      const agg = field.source.aggregate ?? 'latest';
      if (agg === 'count' && field.type !== 'integer') problems.push({ at: `fields[${i}].type`, problem: 'a count is an integer' });
      if (agg === 'list' && field.type !== 'list') problems.push({ at: `fields[${i}].type`, problem: 'a list of values is of type list' });
      return { kind: 'department', field, source: field.source };
    }
    const source = field.source;
    const segments = source.path.split('.');
    const bad = (problem: string) => {
      problems.push({ at: `${at}.path`, problem: `${source.path}: ${problem}` });
      return { kind: 'applicant', field } as const;
    };
    if (segments[0] !== root.field) return bad(`a ${template.subject} form's paths start at ${root.field}`);
    let type: GraphQLObjectType = schema.getQueryType()!;
    let many = false;
    let cursor = tree;
    const types: GraphQLObjectType[] = [];
    for (let s = 0; s < segments.length; s++) {
      const f = type.getFields()[segments[s]];
      if (!f) return bad(`${type.name} has no field ${segments[s]}`);
      if (s > 0 && f.args.some((a) => isNonNullType(a.type))) return bad(`${type.name}.${f.name} needs arguments`);
      const named = getNamedType(f.type);
      const last = s === segments.length - 1;
      if (s > 0 && isListed(f.type) && !(last && !source.select && !source.aggregate)) many = true;
      if (!last || source.select || source.aggregate) {
        if (!isObjectType(named)) return bad(`${type.name}.${f.name} is ${named.name}, not a record type${last ? '' : ' to go through'}`);
        types.push(type);
        type = named;
        let child = cursor.children.get(segments[s]);
        if (!child) cursor.children.set(segments[s], (child = node()));
        cursor = child;
      } else {
        if (!isLeafType(named)) return bad(`${type.name}.${f.name} is a record (${named.name}): select its items or count it`);
        types.push(type);
      }
    }
    const ownerType = type;
    const resource = resourceOf(schema, ownerType);
    if (!resource) return bad(`${ownerType.name} is not a catalogue resource type`);
    const policy = catalog.resource(resource);
    if (!policy) return bad(`${resource} is not a current catalogue resource`);
    const items = source.select ?? (source.aggregate ? [source.item!] : [segments[segments.length - 1]]);
    const missing: string[] = [];
    for (const item of items) {
      const f = ownerType.getFields()[item];
      if (!f || !isLeafType(getNamedType(f.type))) missing.push(`${ownerType.name} has no data field ${item}`);
      else if (!policy.items.has(item)) missing.push(`${item} is not a data item of ${resource}`);
    }
    if (missing.length) return bad(missing.join('; '));
    const meta = !!ownerType.getFields().validFrom && !!ownerType.getFields().provenance;
    for (const item of items) if (!cursor.children.has(item)) cursor.children.set(item, node());
    if (meta) cursor.meta = true;
    const owner = source.select || source.aggregate ? segments : segments.slice(0, -1);
    const leafField = ownerType.getFields()[items[0]];
    const read: ContractPlan['read'] = source.select
      ? { kind: 'select', items: source.select }
      : source.aggregate
        ? { kind: 'count', item: source.item! }
        : { kind: 'leaf', item: items[0], list: isListed(leafField.type) };
    const scalarType = !['list', 'records'].includes(field.type);
    if (read.kind === 'count' && field.type !== 'integer') problems.push({ at: `fields[${i}].type`, problem: 'a count is an integer' });
    if (read.kind === 'select' && field.type !== 'records') problems.push({ at: `fields[${i}].type`, problem: 'selected items of records are of type records' });
    if (read.kind === 'leaf' && (many || read.list) && scalarType) problems.push({ at: `fields[${i}].type`, problem: `${source.path} may hold several values: type list` });
    return { kind: 'contract', field, owner, read, many, resource, meta } satisfies ContractPlan;
  });
  if (problems.length) throw new FormError(template.code, problems);

  let text: string | null = null;
  let document: DocumentNode | null = null;
  const top = tree.children.get(root.field);
  if (top) {
    text = `query PrefillForm($subject: String!) { ${root.field}(${root.arg}: $subject) ${print(top)} }`;
    document = parse(text);
    const errors = validate(schema, document);
    if (errors.length) throw new FormError(template.code, errors.map((e) => ({ at: 'document', problem: e.message })));
  }
  return { template, key: `${template.code}@${template.version}`, root: root.field, document, text, fields };
}

function print(n: Node): string {
  const parts = [...n.children].map(([name, child]) => (child.children.size || child.meta ? `${name} ${print(child)}` : name));
  if (n.meta) parts.push(`${VERSION_ALIAS}: validFrom`, `${SOURCE_ALIAS}: provenance { sourceSystem resourceCode resourceVersion fetchedAt }`);
  return `{ ${parts.join(' ')} }`;
}

function isListed(type: GraphQLOutputType): boolean {
  return isListType(getNullableType(type));
}

function resourceOf(schema: GraphQLSchema, type: GraphQLObjectType): string | null {
  return (getDirective(schema, type, 'resource')?.[0]?.code as string | undefined) ?? null;
}
