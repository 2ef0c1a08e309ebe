import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';

/** Where verification schemes are declared, one file each, reviewed like code. */
export const SCHEME_DIR = path.resolve(import.meta.dirname, '../../catalog/verification');

export type SourceSpec =
  | { kind: 'base-library'; library: 'population' | 'property' | 'legal-entities' }
  | { kind: 'department-record'; resources: string[] }
  | { kind: 'lookup'; system: string; resources?: string[] };

export type RuleSpec =
  | { kind: 'household-matches'; description: string }
  | { kind: 'no-ordinary-vehicle'; ordinaryTypes: string[]; description: string }
  | IncomeRule
  | { kind: 'homes-within-limit'; description: string }
  | { kind: 'no-operating-shareholding'; description: string }
  | { kind: 'no-duplicate-assistance'; description: string }
  | { kind: 'exemption'; description: string }
  | { kind: 'financial-within-limit'; description: string };

/**
 * An income component read from department records: `field` (less `minus`) of each record that
 * matches `where`; `period-average`: records dated (by `date`) in the income period, summed and
 * divided by its months; `latest-max`: the highest value among the records of the latest date.
 */
export interface IncomeRule {
  kind: 'income';
  component: 'wage' | 'transfer' | 'deduction';
  field: string;
  minus?: string;
  /** Payload field dating the record: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`. (Default: undated, taken as current) */
  date?: string;
  aggregate: 'period-average' | 'latest-max';
  /** Only records whose payload fields have one of the values. (Default: every record) */
  where?: Record<string, string[]>;
  description: string;
}

export interface SchemeItem {
  no: number;
  key: string;
  title: string;
  /** Department code of the source (a slug registered in the catalogue). */
  department: string;
  /** Catalogue resource the item is read from. */
  resource: string;
  source: SourceSpec;
  /** What is gathered for every member. */
  gathers: string;
  /** The period the value covers: `current`, `month` or `income-period` (the scheme's `incomePeriodMonths`). */
  period: 'current' | 'month' | 'income-period';
  bearsOn: string;
  rule: RuleSpec;
}

/** The thresholds in force in a division from a date (per person per month, yuan). */
export interface Standard {
  /** Division code prefix (2, 4, 6 … digits); the longest prefix of the household's division wins. */
  division: string;
  /** First day in force (hub time, `YYYY-MM-DD`). */
  effectiveFrom: string;
  note?: string;
  /** 低保标准, urban and rural, yuan per person per month. */
  urbanMonthly: number;
  ruralMonthly: number;
  /** 低保边缘: per-capita income under this multiple of the standard. */
  marginMultiplier: number;
  homesMax: number;
  areaPerPersonMax: number;
  /** Financial assets per person may be at most this many months of the standard. */
  financialAssetMonths: number;
  /** An ordinary car of at most this value is allowed (0: none). */
  ordinaryVehicleValueMax: number;
  /** A vehicle valued under this is a low-value vehicle, exempt. */
  lowValueVehicleMax: number;
  /** A member holding a disability certificate may keep a vehicle. */
  disabilityVehicleExemption: boolean;
  operatingShareholdingAllowed: boolean;
}

export interface Scheme {
  code: string;
  version: string;
  name: string;
  nameEn: string;
  purpose: string;
  publishedAt: string;
  provider: string;
  legalBasis: string;
  incomePeriodMonths: number;
  incomePeriodNote?: string;
  standards: Standard[];
  items: SchemeItem[];
}

const text = { type: 'string', minLength: 1 };
const day = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };
const amount = { type: 'number', minimum: 0 };

/** JSON Schema (2020-12) of a verification scheme. */
export const schemeSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://huitong.example/schemas/verification-scheme.json',
  type: 'object',
  additionalProperties: false,
  required: ['code', 'version', 'name', 'nameEn', 'purpose', 'publishedAt', 'provider', 'legalBasis', 'incomePeriodMonths', 'standards', 'items'],
  properties: {
    code: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' },
    version: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+$' },
    name: text,
    nameEn: text,
    purpose: text,
    publishedAt: day,
    provider: text,
    legalBasis: text,
    incomePeriodMonths: { type: 'integer', minimum: 1, maximum: 24 },
    incomePeriodNote: { type: 'string' },
    standards: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: [
          'division', 'effectiveFrom', 'urbanMonthly', 'ruralMonthly', 'marginMultiplier', 'homesMax', 'areaPerPersonMax',
          'financialAssetMonths', 'ordinaryVehicleValueMax', 'lowValueVehicleMax', 'disabilityVehicleExemption', 'operatingShareholdingAllowed',
        ],
        properties: {
          division: { type: 'string', pattern: '^\\d{2,12}$' },
          effectiveFrom: day,
          note: { type: 'string' },
          urbanMonthly: amount,
          ruralMonthly: amount,
          marginMultiplier: { type: 'number', minimum: 1 },
          homesMax: { type: 'integer', minimum: 0 },
          areaPerPersonMax: amount,
          financialAssetMonths: amount,
          ordinaryVehicleValueMax: amount,
          lowValueVehicleMax: amount,
          disabilityVehicleExemption: { type: 'boolean' },
          operatingShareholdingAllowed: { type: 'boolean' },
        },
      },
    },
    items: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['no', 'key', 'title', 'department', 'resource', 'source', 'gathers', 'period', 'bearsOn', 'rule'],
        properties: {
          no: { type: 'integer', minimum: 1 },
          key: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' },
          title: text,
          department: text,
          resource: { type: 'string', pattern: '^[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)+$' },
          source: {
            oneOf: [
              { type: 'object', additionalProperties: false, required: ['kind', 'library'], properties: { kind: { const: 'base-library' }, library: { enum: ['population', 'property', 'legal-entities'] } } },
              { type: 'object', additionalProperties: false, required: ['kind', 'resources'], properties: { kind: { const: 'department-record' }, resources: { type: 'array', minItems: 1, items: text } } },
              { type: 'object', additionalProperties: false, required: ['kind', 'system'], properties: { kind: { const: 'lookup' }, system: text, resources: { type: 'array', items: text, minItems: 2, maxItems: 2 } } },
            ],
          },
          gathers: text,
          period: { enum: ['current', 'month', 'income-period'] },
          bearsOn: text,
          rule: {
            type: 'object',
            required: ['kind', 'description'],
            properties: {
              kind: { enum: ['household-matches', 'no-ordinary-vehicle', 'income', 'homes-within-limit', 'no-operating-shareholding', 'no-duplicate-assistance', 'exemption', 'financial-within-limit'] },
              component: { enum: ['wage', 'transfer', 'deduction'] },
              field: text,
              minus: text,
              date: text,
              aggregate: { enum: ['period-average', 'latest-max'] },
              where: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
              ordinaryTypes: { type: 'array', items: text, minItems: 1 },
              description: text,
            },
            allOf: [
              { if: { properties: { kind: { const: 'income' } } }, then: { required: ['component', 'field', 'aggregate'] } },
              { if: { properties: { kind: { const: 'no-ordinary-vehicle' } } }, then: { required: ['ordinaryTypes'] } },
            ],
          },
        },
      },
    },
  },
} as const;

export class SchemeError extends Error {
  constructor(file: string, problems: string[]) {
    super(`${file}:\n- ${problems.join('\n- ')}`);
  }
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(schemeSchema);

/** Checks a scheme against its JSON Schema and its own consistency; every problem is named. */
export function checkScheme(raw: unknown, file = '(scheme)'): Scheme {
  if (!validate(raw)) throw new SchemeError(file, (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message}`));
  const scheme = raw as unknown as Scheme;
  const problems: string[] = [];
  const keys = new Set<string>();
  scheme.items.forEach((item, i) => {
    if (keys.has(item.key)) problems.push(`/items/${i}/key: "${item.key}" appears twice`);
    keys.add(item.key);
  });
  const seen = new Set<string>();
  scheme.standards.forEach((s, i) => {
    const k = `${s.division}@${s.effectiveFrom}`;
    if (seen.has(k)) problems.push(`/standards/${i}: two standards for ${s.division} from ${s.effectiveFrom}`);
    seen.add(k);
  });
  if (problems.length) throw new SchemeError(file, problems);
  return scheme;
}

const loaded = new Map<string, Scheme>();

/** The scheme declared in `catalog/verification/<code>.json`, checked once per process. */
export function loadScheme(code = 'low-income', dir = SCHEME_DIR): Scheme {
  const file = path.join(dir, `${code}.json`);
  let scheme = loaded.get(file);
  if (!scheme) loaded.set(file, (scheme = checkScheme(JSON.parse(readFileSync(file, 'utf8')), path.relative(process.cwd(), file))));
  return scheme;
}

/**
 * The standard in force for a division on a date: among standards whose division is a prefix of
 * the household's division code, the most specific; among those, the latest that has started.
 * A more specific division with no standard in force yet falls back to its parent's.
 */
export function standardFor(scheme: Scheme, divisionCode: string, onDate: string): Standard | null {
  const candidates = scheme.standards
    .filter((s) => divisionCode.startsWith(s.division) && s.effectiveFrom <= onDate)
    .sort((a, b) => b.division.length - a.division.length || (a.effectiveFrom < b.effectiveFrom ? 1 : -1));
  return candidates[0] ?? null;
}

/**
 * Urban or rural by the division code (GB/T 2260 with the township part, typical): a township
 * code (digits 7–9) under 100 is a street (街道), an urban area; 100 and above are towns and
 * townships. A county-level code alone is taken as urban.
 */
export function areaOf(divisionCode: string): 'urban' | 'rural' {
  if (divisionCode.length < 9) return 'urban';
  return Number(divisionCode.slice(6, 9)) < 100 ? 'urban' : 'rural';
}
