import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';

/** Where the shipped form templates live, one file per form: `catalog/forms/<code>.json`. */
export const FORMS_DIR = path.resolve(import.meta.dirname, '../../catalog/forms');

/** What a field holds, as the form shows it. */
export type FieldType = 'string' | 'integer' | 'number' | 'date' | 'boolean' | 'list' | 'records';

/**
 * A value read through the GraphQL contract, starting at the subject's root field
 * (`person.household.address`, `legalEntity.representative.name`). Lists on the way are flattened.
 */
export interface ContractSource {
  path: string;
  /** For a path ending at records: the items of each record to fill in. */
  select?: string[];
  /** `count`: how many records the path ends at, decided by `item` (a record whose item is withheld is not counted). */
  aggregate?: 'count';
  /** The item that decides a count. */
  item?: string;
}

/**
 * A value read from a department resource that is not a base library (`department_record`), by
 * the form's subject: `item` of the newest record (default), the number of records, or their sum.
 */
export interface DepartmentSource {
  resource: string;
  item: string;
  aggregate?: 'latest' | 'count' | 'sum' | 'list';
}

export type FieldSource = ContractSource | DepartmentSource;

export interface FormField {
  /** Key of the field in the form, camelCase. */
  name: string;
  /** Label on the paper form (Chinese). */
  title: string;
  type: FieldType;
  /** Where the value comes from; `null` for a field only the applicant can fill in. */
  source: FieldSource | null;
  /** Once prefilled from a source, the applicant may not change it (and the seal covers it). */
  locked: boolean;
  /**
   * The certificate (证明材料) this field replaces when it is prefilled, and that the applicant
   * must otherwise bring. `null` when none is asked for.
   */
  certificate: string | null;
}

export interface FormTemplate {
  code: string;
  /** Semantic version; a changed template is a new version (seals name the version they were made under). */
  version: string;
  name: string;
  nameEn: string;
  /** The matter (事项) the form serves, with its legal basis. */
  matter: string;
  /** The department that handles the matter. */
  department: string;
  /** The purpose a prefill of this form usually states (X-Purpose); any registered purpose may be stated. */
  purpose: string;
  /** Whom a prefill is about: a person (ID number) or a legal entity (credit code). */
  subject: 'person' | 'legal-entity';
  publishedAt: string;
  fields: FormField[];
}

export const isDepartmentSource = (s: FieldSource): s is DepartmentSource => 'resource' in s;

const SLUG = '^[a-z][a-z0-9-]*$';
const NAME = '^[a-z][A-Za-z0-9]*$';

/** JSON Schema (2020-12) of a form template: the shape; paths are checked against the contract and the catalogue after. */
export const formTemplateSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://huitong.example/schemas/form-template.json',
  type: 'object',
  additionalProperties: false,
  required: ['code', 'version', 'name', 'nameEn', 'matter', 'department', 'purpose', 'subject', 'publishedAt', 'fields'],
  properties: {
    $schema: { type: 'string' },
    code: { type: 'string', pattern: SLUG, maxLength: 64 },
    version: { type: 'string', pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+$' },
    name: { type: 'string', minLength: 1 },
    nameEn: { type: 'string', minLength: 1 },
    matter: { type: 'string', minLength: 1 },
    department: { type: 'string', pattern: SLUG },
    purpose: { type: 'string', pattern: SLUG },
    subject: { enum: ['person', 'legal-entity'] },
    publishedAt: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
    fields: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'title', 'type', 'source', 'locked', 'certificate'],
        properties: {
          name: { type: 'string', pattern: NAME, maxLength: 64 },
          title: { type: 'string', minLength: 1 },
          type: { enum: ['string', 'integer', 'number', 'date', 'boolean', 'list', 'records'] },
          locked: { type: 'boolean' },
          certificate: { type: ['string', 'null'], minLength: 1 },
          source: {
            oneOf: [
              { type: 'null' },
              {
                type: 'object',
                additionalProperties: false,
                required: ['path'],
                properties: {
                  path: { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9]*(\\.[a-zA-Z][a-zA-Z0-9]*)*$' },
                  select: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: NAME } },
                  aggregate: { const: 'count' },
                  item: { type: 'string', pattern: NAME },
                },
              },
              {
                type: 'object',
                additionalProperties: false,
                required: ['resource', 'item'],
                properties: {
                  resource: { type: 'string', pattern: '^[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)+$' },
                  item: { type: 'string', pattern: NAME },
                  aggregate: { enum: ['latest', 'count', 'sum', 'list'] },
                },
              },
            ],
          },
        },
      },
    },
  },
} as const;

// `validateSchema: false`: the schema is ours, checked against the meta-schema by a test
// (test/startup/record-schemas.test.ts), not at every start (~30–50 ms, per Ajv instance).
const ajv = new Ajv2020({ allErrors: true, strict: true, validateSchema: false });
const validateShape = ajv.compile(formTemplateSchema);

/** One thing wrong with a template: where (a JSON pointer or `fields[i].source.path`) and why. */
export interface FormProblem {
  at: string;
  problem: string;
}

/** A template refused at registration, every problem named. */
export class FormError extends Error {
  constructor(
    readonly form: string,
    readonly problems: FormProblem[],
  ) {
    super(`form ${form} refused:\n- ${problems.map((p) => `${p.at}: ${p.problem}`).join('\n- ')}`);
  }
}

/** The template's shape, checked against the JSON Schema; throws `FormError` naming every problem. */
export function parseTemplate(raw: unknown, origin: string): FormTemplate {
  if (!validateShape(raw)) throw new FormError(origin, (validateShape.errors ?? []).map(problemOf));
  const template = raw as unknown as FormTemplate;
  const problems: FormProblem[] = [];
  const seen = new Set<string>();
  template.fields.forEach((f, i) => {
    if (seen.has(f.name)) problems.push({ at: `fields[${i}].name`, problem: `"${f.name}" appears twice` });
    seen.add(f.name);
    if (f.source && !isDepartmentSource(f.source)) {
      const s = f.source;
      if (s.select && s.aggregate) problems.push({ at: `fields[${i}].source`, problem: 'select and aggregate exclude each other' });
      if (s.aggregate && !s.item) problems.push({ at: `fields[${i}].source.item`, problem: 'a count names the item that decides it' });
    }
  });
  if (problems.length) throw new FormError(template.code, problems);
  return template;
}

function problemOf(e: ErrorObject): FormProblem {
  const at = e.instancePath || '/';
  const detail = e.keyword === 'additionalProperties' ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : '';
  return { at, problem: `${e.message ?? e.keyword}${detail}` };
}

/** Every template file in `dir` (`*.json`), parsed; a file that does not parse is refused, naming the file. */
export function readTemplateFiles(dir = FORMS_DIR): { file: string; template: FormTemplate | null; error: FormError | null }[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return [];
  }
  return files.map((file) => {
    try {
      const raw: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
      return { file, template: parseTemplate(raw, file), error: null };
    } catch (err) {
      const error = err instanceof FormError ? err : new FormError(file, [{ at: file, problem: (err as Error).message }]);
      return { file, template: null, error };
    }
  });
}
