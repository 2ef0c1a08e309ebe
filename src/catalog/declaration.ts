import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** Repository root: declarations name their record schema relative to it. */
export const PROJECT_DIR = path.resolve(import.meta.dirname, '../..');

export const SENSITIVITIES = ['public', 'internal', 'personal', 'sensitive'] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];
export const MASK_RULES = ['id-number', 'name', 'mobile', 'withhold'] as const;
export type MaskRule = (typeof MASK_RULES)[number];
export const SHARING_TYPES = ['unconditional', 'conditional', 'none'] as const;
export type SharingType = (typeof SHARING_TYPES)[number];
export const CLASSES = ['base', 'theme', 'department'] as const;

/** One data item (信息项): a scalar or enum field of the resource's GraphQL type. */
export interface DataItem {
  name: string;
  title: string;
  type: string;
  description: string;
  sensitivity: Sensitivity;
  identifiesPerson: boolean;
  /** How the value is shown to a department without a clear grant. (Default: withheld, unless public) */
  mask?: MaskRule;
  /** Every record must carry it, in a record schema derived from the items. (Default: false) */
  required?: boolean;
}

/** A record schema as a declaration carries it: a file under `schemas/records/`, or the JSON Schema itself. */
export type RecordSchemaRef = string | Record<string, unknown>;

/** A catalogue resource as declared in `catalog/resources/<code>.json` or through GraphQL. */
export interface ResourceDeclaration {
  code: string;
  name: string;
  nameEn: string;
  summary: string;
  provider: string;
  classification: { class: (typeof CLASSES)[number]; category: string };
  graphqlType: string;
  items: DataItem[];
  sharing: { type: SharingType; conditions?: string; methods: ('query' | 'sync' | 'file')[] };
  open: { open: boolean; conditions?: string };
  updateCycle: string;
  publishedAt: string;
  related?: string[];
  /**
   * The JSON Schema (2020-12) of one record: a file under `schemas/records/`, the schema itself
   * (inline, so that a resource registered through the API or a spreadsheet needs no file), or
   * left out, when it is derived from the data items' names and types. Inline and derived
   * schemas are versioned with the declaration. (Default: derived from `items`)
   */
  recordSchema?: RecordSchemaRef;
  /**
   * The item holding whom a record is about (an ID number or a credit code), by which the contract
   * finds a department resource's records. (Default: the only item named `idNumber`/`creditCode` or
   * ending in `IdNumber`/`CreditCode`, if there is exactly one)
   */
  subject?: string;
  /**
   * Further items by which the contract finds a record, besides `subject`: a marriage's other
   * party, a contribution's employer, or, for a resource with no personal subject, the key it is
   * found by (a grid event's division). Each is a string item. (Default: none)
   */
  foundBy?: string[];
  /** Data format (格式), e.g. `application/json`. (Default: none stated) */
  format?: string;
}

const text = { type: 'string', minLength: 1 };
const code = { type: 'string', pattern: '^[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)+$' };

/** JSON Schema (2020-12) of a resource declaration. */
export const declarationSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://huitong.example/schemas/catalog-resource.json',
  type: 'object',
  additionalProperties: false,
  required: ['code', 'name', 'nameEn', 'summary', 'provider', 'classification', 'graphqlType', 'items', 'sharing', 'open', 'updateCycle', 'publishedAt'],
  properties: {
    code,
    name: text,
    nameEn: text,
    summary: text,
    provider: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,40}$' },
    classification: {
      type: 'object',
      additionalProperties: false,
      required: ['class', 'category'],
      properties: { class: { enum: CLASSES }, category: text },
    },
    graphqlType: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]*$' },
    items: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'title', 'type', 'description', 'sensitivity', 'identifiesPerson'],
        properties: {
          name: { type: 'string', pattern: '^[a-z][A-Za-z0-9]*$' },
          title: text,
          type: text,
          description: text,
          sensitivity: { enum: SENSITIVITIES },
          identifiesPerson: { type: 'boolean' },
          mask: { enum: MASK_RULES },
          required: { type: 'boolean' },
        },
      },
    },
    sharing: {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'methods'],
      properties: {
        type: { enum: SHARING_TYPES },
        conditions: text,
        methods: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['query', 'sync', 'file'] } },
      },
      // 有条件共享 and 不予共享 need a stated basis.
      if: { properties: { type: { enum: ['conditional', 'none'] } } },
      then: { required: ['conditions'] },
    },
    open: {
      type: 'object',
      additionalProperties: false,
      required: ['open'],
      properties: { open: { type: 'boolean' }, conditions: text },
    },
    updateCycle: { enum: ['real-time', 'daily', 'weekly', 'monthly', 'quarterly', 'half-yearly', 'yearly', 'irregular'] },
    publishedAt: { type: 'string', format: 'date' },
    related: { type: 'array', uniqueItems: true, items: code },
    recordSchema: {
      oneOf: [{ type: 'string', pattern: '^schemas/records/[a-z0-9.-]+\\.json$' }, { type: 'object' }],
    },
    subject: { type: 'string', pattern: '^[a-z][A-Za-z0-9]*$' },
    foundBy: { type: 'array', uniqueItems: true, items: { type: 'string', pattern: '^[a-z][A-Za-z0-9]*$' } },
    format: text,
  },
} as const;

/** One thing wrong with a declaration: where (file, JSON path) and what. */
export interface DeclarationProblem {
  source: string;
  path: string;
  message: string;
}

export const formatProblem = (p: DeclarationProblem) => `${p.source}: ${p.path || '/'}: ${p.message}`;

export class DeclarationError extends Error {
  constructor(readonly problems: DeclarationProblem[]) {
    super(`Refused, nothing stored:\n- ${problems.map(formatProblem).join('\n- ')}`);
  }
}

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, verbose: true });
addFormats.default(ajv);
const validateShape = ajv.compile<ResourceDeclaration>(declarationSchema);

function ajvProblem(source: string, e: ErrorObject): DeclarationProblem {
  const where = e.instancePath.replace(/\//g, '.').replace(/\.(\d+)/g, '[$1]').replace(/^\./, '');
  const { allowedValues, additionalProperty } = e.params as { allowedValues?: unknown[]; additionalProperty?: string };
  const message = allowedValues
    ? `${JSON.stringify(e.data)} is not one of: ${allowedValues.join(', ')}`
    : additionalProperty
      ? `unknown key "${additionalProperty}"`
      : (e.message ?? 'is invalid');
  return { source, path: where, message };
}

/** What a declaration is checked against besides its own shape. */
export interface DeclarationContext {
  departments: ReadonlySet<string>;
  /** Where record schemas are read from. (Default: the repository root) */
  projectDir?: string;
}

/**
 * Every problem of one declaration: its shape, its provider, unique item names, mask rules that
 * fit the item, and its record schema, which must exist and compile.
 */
export function checkDeclaration(data: unknown, source: string, context: DeclarationContext): DeclarationProblem[] {
  if (!validateShape(data)) {
    return (validateShape.errors ?? []).filter((e) => e.keyword !== 'if').map((e) => ajvProblem(source, e));
  }
  const d = data;
  const problems: DeclarationProblem[] = [];
  const at = (p: string, message: string) => problems.push({ source, path: p, message });
  if (!context.departments.has(d.provider)) at('provider', `"${d.provider}" is not a registered department`);
  const seen = new Set<string>();
  d.items.forEach((item, i) => {
    if (seen.has(item.name)) at(`items[${i}].name`, `"${item.name}" is declared twice`);
    seen.add(item.name);
    if (item.mask && item.mask !== 'withhold' && item.type !== 'string') at(`items[${i}].mask`, `"${item.mask}" masks strings only, the item is ${item.type}`);
  });
  if (d.related?.includes(d.code)) at('related', 'a resource is not related to itself');
  const subjectItem = d.subject ? d.items.find((i) => i.name === d.subject) : undefined;
  if (d.subject && !subjectItem) at('subject', `"${d.subject}" is not one of the items`);
  if (subjectItem && subjectItem.type !== 'string') at('subject', `"${d.subject}" is ${subjectItem.type}; a subject key (ID number, credit code) is a string`);
  (d.foundBy ?? []).forEach((name, i) => {
    const item = d.items.find((it) => it.name === name);
    if (!item) at(`foundBy[${i}]`, `"${name}" is not one of the items`);
    else if (item.type !== 'string') at(`foundBy[${i}]`, `"${name}" is ${item.type}; a key is a string`);
    else if (name === d.subject) at(`foundBy[${i}]`, `"${name}" is already the subject`);
  });
  const schema = readRecordSchema(d, context.projectDir);
  if ('problem' in schema) at('recordSchema', schema.problem);
  else {
    try {
      compileRecordSchema(schema.schema);
    } catch (err) {
      at('recordSchema', `${typeof d.recordSchema === 'string' ? d.recordSchema : 'the inline schema'} does not compile: ${(err as Error).message}`);
    }
  }
  return problems;
}

let recordAjv: Ajv2020 | null = null;

/**
 * Compiles a record schema. One Ajv for all of them: a new instance compiles the 2020-12
 * meta-schema again before its first schema (about 45 ms each, measured; with 27 resources checked
 * at every start, over a second). The schema is removed from the instance once compiled (the
 * validator keeps working), so that schemas with the same `$id` never collide.
 */
export function compileRecordSchema(schema: unknown) {
  if (!recordAjv) {
    recordAjv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(recordAjv);
  }
  const ajv = recordAjv;
  try {
    return ajv.compile(schema as object);
  } finally {
    ajv.removeSchema(schema as object);
  }
}

/** Items that are the hub's history of a record, not part of what a connector delivers. */
const HISTORY_ITEMS = new Set(['validFrom', 'validTo']);

/** JSON Schema of one value of an item, from its declared type. */
function itemSchema(type: string): Record<string, unknown> {
  switch (type) {
    case 'date':
      return { type: 'string', format: 'date' };
    case 'datetime':
      return { type: 'string', format: 'date-time' };
    case 'integer':
      return { type: 'integer' };
    case 'number':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'array':
      return { type: 'array' };
    default:
      return { type: 'string' };
  }
}

/**
 * The record schema a declaration without one stands for: one property per data item (history
 * items excepted), typed as declared, nullable unless `required`, nothing else allowed.
 */
export function deriveRecordSchema(d: Pick<ResourceDeclaration, 'code' | 'name' | 'nameEn' | 'items'>): Record<string, unknown> {
  const items = d.items.filter((i) => !HISTORY_ITEMS.has(i.name));
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `${d.name} (${d.nameEn})`,
    description: `One record of ${d.code}, derived from its data items.`,
    type: 'object',
    additionalProperties: false,
    required: items.filter((i) => i.required).map((i) => i.name),
    properties: Object.fromEntries(
      items.map((i) => {
        const value = itemSchema(i.type);
        return [i.name, i.required ? { ...value, title: i.title } : { title: i.title, anyOf: [value, { type: 'null' }] }];
      }),
    ),
  };
}

/**
 * The record schema a declaration carries, whichever way it is given: read from its file, taken
 * inline, or derived from the items. A missing or unreadable file is a problem, not an exception.
 */
export function readRecordSchema(d: ResourceDeclaration, projectDir = PROJECT_DIR): { schema: unknown } | { problem: string } {
  const ref = d.recordSchema;
  if (ref === undefined) return { schema: deriveRecordSchema(d) };
  if (typeof ref !== 'string') return { schema: ref };
  const file = path.join(projectDir, ref);
  if (!existsSync(file)) return { problem: `${ref} does not exist` };
  try {
    return { schema: JSON.parse(readFileSync(file, 'utf8')) };
  } catch (err) {
    return { problem: `${ref} is not valid JSON: ${(err as Error).message}` };
  }
}
