import type { Plugin } from 'graphql-yoga';
import type { HubContext } from '../server/context.js';

/** Where the REST face of the prefill operations is served. */
export const PREFILL_REST_BASE = '/rest';

const SOURCE = 'source { resource department system asOf recordVersion resourceVersion records { system version fetchedAt resourceVersion } }';
const FIELD = `name title type value status locked editable needsApplicant certificate reasons ${SOURCE}`;

/** The GraphQL operation behind each route: REST is a fixed document run through the same pipeline. */
const OPERATIONS = {
  forms: {
    field: 'prefillForms',
    query: `query PrefillForms { prefillForms { code version name nameEn matter department purpose subject usable problems certificatesReplaced fields { name title type source locked certificate } } }`,
  },
  prefill: {
    field: 'prefillForm',
    query: `query PrefillForm($form: String!, $subject: String!) { prefillForm(form: $form, subject: $subject) {
      form version name subject subjectFound preparedAt purpose caseNumber certificatesReplaced certificatesRequired seal fields { ${FIELD} } } }`,
  },
  verify: {
    field: 'verifyPrefill',
    query: `query VerifyPrefill($seal: String!, $submitted: [PrefillSubmittedValue!]!) { verifyPrefill(seal: $seal, submitted: $submitted) {
      valid reason intact changed missing form version subject sealedAt } }`,
  },
  recheck: {
    field: 'recheckPrefill',
    query: `query RecheckPrefill($seal: String!) { recheckPrefill(seal: $seal) {
      form version subject sealedAt checkedAt changed seal fields { name sealed changed valueChanged versionChanged sealedVersions now { ${FIELD} } } } }`,
  },
} as const;

type Operation = keyof typeof OPERATIONS;

/** HTTP status of each stable error code on the REST face. */
const STATUS: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  PURPOSE_REQUIRED: 403,
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  RATE_LIMITED: 429,
  SOURCE_UNAVAILABLE: 502,
  AUDIT_UNAVAILABLE: 503,
};

/** Headers a REST call carries over to its GraphQL operation: identity, purpose and case, nothing else. */
const CARRIED = ['authorization', 'x-purpose', 'x-case-number'];

/**
 * The prefill operations as REST for workflow systems that cannot speak GraphQL, with an OpenAPI
 * document at `/rest/openapi.json`. Each route runs a fixed GraphQL document through the hub's own
 * yoga pipeline (`yoga.fetch`), so identity, purpose, rate limits, operation limits, the field
 * guard and the audit trail (refusals included) are those of `/graphql`, not a copy of them.
 * (yoga's SOFA plugin was the first choice; it builds its own execution context outside yoga's
 * request pipeline, so refusals before execution would go unaudited, and it exposes every field.)
 */
export function prefillRest(): Plugin<HubContext> {
  let handler: Handler | null = null;
  return {
    onYogaInit({ yoga }) {
      handler = (request, serverContext) => yoga.handle(request, serverContext as never);
    },
    onRequest({ request, url, endResponse, serverContext }) {
      if (!url.pathname.startsWith(`${PREFILL_REST_BASE}/`)) return;
      return handle((r) => handler!(r, serverContext), request, url).then(endResponse);
    },
  };
}

/** Yoga's own request handler (parse, context, execute, result), as the adapter calls it for `/graphql`. */
type Handler = (request: Request, serverContext: unknown) => Promise<Response> | Response;
type Yoga = (request: Request) => Promise<Response> | Response;

async function handle(yoga: Yoga, request: Request, url: URL): Promise<Response> {
  const route = url.pathname.slice(PREFILL_REST_BASE.length);
  if (request.method === 'GET' && route === '/openapi.json') return Response.json(openApiDocument(url));
  if (request.method === 'GET' && route === '/forms') return run(yoga, request, url, 'forms', {});
  const prefill = /^\/forms\/([a-z][a-z0-9-]*)\/prefill$/.exec(route);
  if (request.method !== 'POST' || !(prefill || route === '/prefill/verify' || route === '/prefill/recheck')) {
    return error(404, 'NOT_FOUND', `No route ${request.method} ${url.pathname}; see ${PREFILL_REST_BASE}/openapi.json.`);
  }
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = await request.json();
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    body = parsed as Record<string, unknown>;
  } catch {
    return error(400, 'BAD_USER_INPUT', 'The body must be a JSON object.', { reason: 'body-not-json' });
  }
  if (prefill) return run(yoga, request, url, 'prefill', { form: prefill[1], subject: body.subject });
  if (route === '/prefill/verify') {
    // `submitted` as the GraphQL list of { name, value }, or as an object of values by field name.
    const s = body.submitted;
    const submitted = s && typeof s === 'object' && !Array.isArray(s) ? Object.entries(s).map(([name, value]) => ({ name, value })) : s;
    return run(yoga, request, url, 'verify', { seal: body.seal, submitted });
  }
  return run(yoga, request, url, 'recheck', { seal: body.seal });
}

async function run(yoga: Yoga, request: Request, url: URL, operation: Operation, variables: Record<string, unknown>): Promise<Response> {
  const headers = new Headers({ 'content-type': 'application/json', accept: 'application/graphql-response+json' });
  for (const name of CARRIED) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const { field, query } = OPERATIONS[operation];
  const res = await yoga(new Request(new URL('/graphql', url), { method: 'POST', headers, body: JSON.stringify({ query, variables }) }));
  const result = (await res.json()) as { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[]; extensions?: { access?: unknown } };
  if (result.errors?.length) {
    const first = result.errors[0];
    const { http, code = 'INTERNAL', ...details } = (first.extensions ?? {}) as { http?: { headers?: Record<string, string> }; code?: string };
    const status = STATUS[code] ?? 500;
    const response = error(status, code, first.message, details);
    for (const [k, v] of Object.entries(http?.headers ?? {})) response.headers.set(k, v);
    // yoga turns `extensions.http` into the response's own status and headers.
    for (const k of ['retry-after', 'www-authenticate']) {
      const v = res.headers.get(k);
      if (v) response.headers.set(k, v);
    }
    return response;
  }
  const response = Response.json(result.data?.[field] ?? null);
  // What the guard masked or withheld, as in `extensions.access` (paths are the GraphQL answer's).
  if (result.extensions?.access) response.headers.set('x-huitong-access', JSON.stringify(result.extensions.access));
  return response;
}

function error(status: number, code: string, message: string, details: Record<string, unknown> = {}): Response {
  return Response.json({ error: { code, message, ...details } }, { status });
}

const FIELD_SCHEMA = {
  type: 'object',
  required: ['name', 'status', 'locked', 'editable', 'needsApplicant', 'reasons'],
  properties: {
    name: { type: 'string' },
    title: { type: 'string' },
    type: { type: 'string' },
    value: { description: 'Any JSON value; null when withheld or without data.' },
    status: { type: 'string', enum: ['prefilled', 'masked', 'withheld', 'needs_applicant'] },
    locked: { type: 'boolean' },
    editable: { type: 'boolean' },
    needsApplicant: { type: 'boolean' },
    certificate: { type: ['string', 'null'], description: 'Certificate (证明材料) replaced, or required when the applicant supplies the field.' },
    reasons: { type: 'array', items: { type: 'string' } },
    source: {
      type: ['object', 'null'],
      properties: {
        resource: { type: 'string' },
        department: { type: ['string', 'null'] },
        system: { type: ['string', 'null'] },
        asOf: { type: ['string', 'null'] },
        recordVersion: { type: ['string', 'null'] },
        resourceVersion: { type: ['string', 'null'] },
        records: { type: 'array', items: { type: 'object' } },
      },
    },
  },
};

const ERROR = {
  description: 'Refused or failed: `error.code` is the stable code (UNAUTHENTICATED, PURPOSE_REQUIRED, FORBIDDEN, BAD_USER_INPUT, NOT_FOUND, RATE_LIMITED, AUDIT_UNAVAILABLE).',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};
const errors = { 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 429: ERROR, 503: ERROR };
const purposeHeaders = [
  { name: 'X-Purpose', in: 'header', required: true, schema: { type: 'string' }, description: 'Registered purpose code, e.g. low-income-verification.' },
  { name: 'X-Case-Number', in: 'header', required: true, schema: { type: 'string' }, description: 'The case or matter being handled.' },
];
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });

/** OpenAPI 3.1 description of the REST routes. */
export function openApiDocument(url: URL): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Huitong (汇通) form prefill',
      version: '1.0.0',
      description:
        'Prefill of approval forms with provenance, seal, verification and re-check: the GraphQL operations prefillForms, prefillForm, verifyPrefill and recheckPrefill as REST, under the same identity (bearer JWT), purpose headers, rate limits and audit.',
    },
    servers: [{ url: `${url.origin}${PREFILL_REST_BASE}` }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        Error: { type: 'object', properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } } },
        PrefilledField: FIELD_SCHEMA,
        PrefilledForm: {
          type: 'object',
          properties: {
            form: { type: 'string' },
            version: { type: 'string' },
            name: { type: 'string' },
            subject: { type: 'string' },
            subjectFound: { type: 'boolean' },
            preparedAt: { type: 'string', format: 'date-time' },
            purpose: { type: 'string' },
            caseNumber: { type: 'string' },
            certificatesReplaced: { type: 'array', items: { type: 'string' } },
            certificatesRequired: { type: 'array', items: { type: 'string' } },
            seal: { type: 'string', description: 'Compact JWS (EdDSA) by the hub key over the locked values, form version, subject and time.' },
            fields: { type: 'array', items: { $ref: '#/components/schemas/PrefilledField' } },
          },
        },
      },
    },
    paths: {
      '/forms': {
        get: { operationId: 'prefillForms', summary: 'Form templates, newest version of each', responses: { 200: json({ type: 'array', items: { type: 'object' } }), ...errors } },
      },
      '/forms/{form}/prefill': {
        post: {
          operationId: 'prefillForm',
          summary: 'Prefill a form for a subject',
          parameters: [{ name: 'form', in: 'path', required: true, schema: { type: 'string' } }, ...purposeHeaders],
          requestBody: { required: true, ...json({ type: 'object', required: ['subject'], properties: { subject: { type: 'string', description: 'ID number or credit code' } } }) },
          responses: { 200: json({ $ref: '#/components/schemas/PrefilledForm' }), ...errors },
        },
      },
      '/prefill/verify': {
        post: {
          operationId: 'verifyPrefill',
          summary: 'Check a submission against its seal: changed or missing locked fields',
          requestBody: {
            required: true,
            ...json({
              type: 'object',
              required: ['seal', 'submitted'],
              properties: { seal: { type: 'string' }, submitted: { description: 'Values by field name, or a list of { name, value }', type: ['object', 'array'] } },
            }),
          },
          responses: { 200: json({ type: 'object', properties: { valid: { type: 'boolean' }, intact: { type: 'boolean' }, changed: { type: 'array', items: { type: 'string' } }, missing: { type: 'array', items: { type: 'string' } } } }), ...errors },
        },
      },
      '/prefill/recheck': {
        post: {
          operationId: 'recheckPrefill',
          summary: 'What changed in the sources since the seal, field by field',
          parameters: purposeHeaders,
          requestBody: { required: true, ...json({ type: 'object', required: ['seal'], properties: { seal: { type: 'string' } } }) },
          responses: { 200: json({ type: 'object' }), ...errors },
        },
      },
    },
  };
}
