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
}

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
  recordSchema: string;
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
  required: ['code', 'name', 'nameEn', 'summary', 'provider', 'classification', 'graphqlType', 'items', 'sharing', 'open', 'updateCycle', 'publishedAt', 'recordSchema'],
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
    recordSchema: { type: 'string', pattern: '^schemas/records/[a-z0-9.-]+\\.json$' },
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
  const schemaFile = path.join(context.projectDir ?? PROJECT_DIR, d.recordSchema);
  if (!existsSync(schemaFile)) {
    at('recordSchema', `${d.recordSchema} does not exist`);
  } else {
    try {
      compileRecordSchema(JSON.parse(readFileSync(schemaFile, 'utf8')));
    } catch (err) {
      at('recordSchema', `${d.recordSchema} does not compile: ${(err as Error).message}`);
    }
  }
  return problems;
}

/** Compiles a record schema in its own Ajv, so that schemas with the same `$id` never collide. */
export function compileRecordSchema(schema: unknown) {
  const own = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(own);
  return own.compile(schema as object);
}
