export { prefillResolvers, formsOf, certificatesReplacedBy } from './graphql.js';
export { FormRegistry } from './registry.js';
export { planForm, type FormPlan, type FieldPlan } from './plan.js';
export { FormError, FORMS_DIR, formTemplateSchema, parseTemplate, readTemplateFiles, type FormTemplate, type FormField, type FormProblem } from './template.js';
export { openSeal, digestOf, SealRefused, SEAL_TYPE, type SealClaims } from './seal.js';
export { prefillRest, PREFILL_REST_BASE } from './rest.js';
