import type { GraphQLSchema } from 'graphql';
import type { PolicySource, ResourcePolicy } from '../access/index.js';
import { planForm, type FormPlan } from './plan.js';
import { FormError, FORMS_DIR, isDepartmentSource, parseTemplate, readTemplateFiles, type FormTemplate } from './template.js';

interface Planned {
  /** The catalogue entries the plan was checked against: a reload of the catalogue replaces them, and the form is checked again. */
  against: (ResourcePolicy | undefined)[];
  outcome: FormPlan | FormError;
}

/**
 * The form templates a hub knows, every version of each (a seal names the version it was made
 * under), each checked against the served contract and the current catalogue before it is used.
 * A template whose paths do not resolve is refused with every bad path named; it is checked again
 * when the catalogue changes (a resource registered later makes it usable).
 */
export class FormRegistry {
  private readonly templates = new Map<string, Map<string, FormTemplate>>();
  private readonly plans = new WeakMap<GraphQLSchema, Map<string, Planned>>();

  /** The shipped templates, from `catalog/forms/` (or `dir`); a file that does not parse is reported in `refused`. */
  static fromFiles(dir = FORMS_DIR): { registry: FormRegistry; refused: FormError[] } {
    const registry = new FormRegistry();
    const refused: FormError[] = [];
    const seen = new Map<string, string>();
    for (const { file, template, error } of readTemplateFiles(dir)) {
      if (error) refused.push(error);
      if (!template) continue;
      const key = `${template.code}@${template.version}`;
      const first = seen.get(key);
      // Two files claiming one version would make a seal's version ambiguous: the later file is refused.
      if (first) refused.push(new FormError(file, [{ at: 'version', problem: `${key} is also declared by ${first}` }]));
      else {
        seen.set(key, file);
        registry.add(template);
      }
    }
    return { registry, refused };
  }

  private add(template: FormTemplate): void {
    let versions = this.templates.get(template.code);
    if (!versions) this.templates.set(template.code, (versions = new Map()));
    versions.set(template.version, template);
  }

  /**
   * Registers a template (e.g. a new version): checked for its shape and, against `schema` and
   * `catalog`, for every path. Refused with `FormError` naming each problem; nothing is kept then.
   */
  register(raw: unknown, schema: GraphQLSchema, catalog: PolicySource): FormPlan {
    const template = parseTemplate(raw, typeof raw === 'object' && raw && 'code' in raw ? String((raw as { code: unknown }).code) : 'template');
    const plan = planForm(template, schema, catalog);
    this.add(template);
    this.cache(schema).set(plan.key, { against: usedResources(template, catalog), outcome: plan });
    return plan;
  }

  /** Every template's newest version. */
  latest(): FormTemplate[] {
    return [...this.templates.values()].map((versions) => [...versions.values()].sort((a, b) => compareVersions(b.version, a.version))[0]).sort((a, b) => a.code.localeCompare(b.code));
  }

  /** A template by code (newest version unless `version` is given), or `null`. */
  template(code: string, version?: string): FormTemplate | null {
    const versions = this.templates.get(code);
    if (!versions) return null;
    if (version) return versions.get(version) ?? null;
    return [...versions.values()].sort((a, b) => compareVersions(b.version, a.version))[0] ?? null;
  }

  /** The checked plan of a template, or the `FormError` that refuses it; re-checked when the catalogue changed. */
  plan(template: FormTemplate, schema: GraphQLSchema, catalog: PolicySource): FormPlan | FormError {
    const cache = this.cache(schema);
    const key = `${template.code}@${template.version}`;
    const against = usedResources(template, catalog);
    const known = cache.get(key);
    if (known && known.against.length === against.length && known.against.every((r, i) => r === against[i])) return known.outcome;
    let outcome: FormPlan | FormError;
    try {
      outcome = planForm(template, schema, catalog);
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      outcome = err;
    }
    cache.set(key, { against, outcome });
    return outcome;
  }

  private cache(schema: GraphQLSchema): Map<string, Planned> {
    let cache = this.plans.get(schema);
    if (!cache) this.plans.set(schema, (cache = new Map()));
    return cache;
  }
}

/** The catalogue entries a template's check depends on, in a fixed order. */
function usedResources(template: FormTemplate, catalog: PolicySource): (ResourcePolicy | undefined)[] {
  // A reload of the catalogue replaces every entry, so any one of these tells of it.
  const codes = new Set<string>(['population.person', 'population.household', 'legal-entity.entity', 'legal-entity.shareholding', 'property.unit', 'property.ownership', 'property.encumbrance']);
  for (const f of template.fields) if (f.source && isDepartmentSource(f.source)) codes.add(f.source.resource);
  return [...codes].sort().map((c) => catalog.resource(c));
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

