import type { IResolvers } from '@graphql-tools/utils';
import type { CryptoKey } from 'jose';
import { GraphQLScalarType, valueFromASTUntyped, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import type { HubContext, HubServices } from '../server/context.js';
import { HubError, notFound } from '../server/errors.js';
import type { FormPlan } from './plan.js';
import { FormRegistry } from './registry.js';
import { requireCallerWithPurpose, runPrefill, type PrefilledField } from './run.js';
import { digestOf, openSeal, SealRefused, type SealClaims } from './seal.js';
import { FormError, isDepartmentSource, type FormTemplate } from './template.js';

const registries = new WeakMap<object, FormRegistry>();

/** The hub's form templates: the shipped files, read on first use; one registry per running hub. */
export function formsOf(hub: HubServices): FormRegistry {
  let registry = registries.get(hub.catalog);
  if (!registry) {
    const { registry: loaded, refused } = FormRegistry.fromFiles();
    for (const err of refused) hub.logger.warn({ form: err.form, problems: err.problems }, 'form template refused');
    registries.set(hub.catalog, (registry = loaded));
  }
  return registry;
}

/** The template's plan, or `NOT_FOUND` for an unknown form and `BAD_USER_INPUT` naming the bad paths of a refused one. */
export function usablePlan(ctx: HubContext, schema: GraphQLSchema, code: string, version?: string): FormPlan {
  const registry = formsOf(ctx.hub);
  const template = registry.template(code, version);
  if (!template) throw notFound('Form', version ? `${code}@${version}` : code);
  const plan = registry.plan(template, schema, ctx.hub.catalog);
  if (plan instanceof FormError) {
    ctx.hub.logger.warn({ form: plan.form, problems: plan.problems }, 'form template refused');
    throw new HubError('BAD_USER_INPUT', `Form ${code} is refused: ${plan.problems.map((p) => `${p.at}: ${p.problem}`).join('; ')}`, {
      argument: 'form',
      reason: 'form-refused',
      problems: plan.problems,
    });
  }
  return plan;
}

function responsePath(info: GraphQLResolveInfo): (string | number)[] {
  const keys: (string | number)[] = [];
  for (let p: GraphQLResolveInfo['path'] | undefined = info.path; p; p = p.prev) keys.push(p.key);
  return keys.reverse();
}

const sourceText = (f: FormTemplate['fields'][number]) =>
  !f.source ? null : isDepartmentSource(f.source) ? `${f.source.resource}#${f.source.item}${f.source.aggregate ? `:${f.source.aggregate}` : ''}` : `${f.source.path}${f.source.select ? `{${f.source.select.join(',')}}` : ''}${f.source.aggregate ? `:${f.source.aggregate}(${f.source.item})` : ''}`;

/** Certificates a template's sourced fields replace, each counted once: the figure the issue asks for. */
export const certificatesReplacedBy = (t: FormTemplate) => [...new Set(t.fields.filter((f) => f.source && f.certificate).map((f) => f.certificate!))];

type VerifyingKey = { kid: string; publicKey: CryptoKey | Uint8Array };

/**
 * The keys a seal may have been made with: every hub key the hub holds, current and retired, where
 * its audit trail keeps a key ring (seals made before a rotation stay valid), else the current key.
 */
async function sealKeys(hub: HubServices): Promise<VerifyingKey[]> {
  const ring = (hub.audit as { keys?: { refresh?: () => Promise<{ all: VerifyingKey[] }> } }).keys;
  if (typeof ring?.refresh === 'function') return (await ring.refresh()).all.map((k) => ({ kid: k.kid, publicKey: k.publicKey }));
  return [{ kid: hub.audit.key.kid, publicKey: hub.audit.key.publicKey }];
}

async function claimsOf(hub: HubServices, seal: string): Promise<SealClaims> {
  try {
    return await openSeal(seal, await sealKeys(hub));
  } catch (err) {
    if (err instanceof SealRefused) throw new HubError('BAD_USER_INPUT', `seal: ${err.reason}`, { argument: 'seal', reason: err.reason });
    throw err;
  }
}

const sameVersions = (a: readonly (string | null)[], b: readonly (string | null)[]) => a.length === b.length && a.every((v, i) => v === b[i]);

export const PrefillValue = new GraphQLScalarType({
  name: 'PrefillValue',
  description: 'Any JSON value.',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});

export const prefillResolvers: IResolvers<unknown, HubContext> = {
  PrefillValue,
  Query: {
    prefillForms: (_root, _args, ctx, info) => {
      const registry = formsOf(ctx.hub);
      return registry.latest().map((t) => {
        const plan = registry.plan(t, info.schema, ctx.hub.catalog);
        return {
          ...t,
          usable: !(plan instanceof FormError),
          problems: plan instanceof FormError ? plan.problems.map((p) => `${p.at}: ${p.problem}`) : [],
          fields: t.fields.map((f) => ({ ...f, source: sourceText(f) })),
          certificatesReplaced: certificatesReplacedBy(t),
        };
      });
    },
    prefillForm: async (_root, args: { form: string; subject: string }, ctx, info) => {
      requireCallerWithPurpose(ctx);
      const plan = usablePlan(ctx, info.schema, args.form);
      const root = responsePath(info);
      return runPrefill(ctx, info.schema, plan, args.subject, { root, field: (i) => [...root, 'fields', i] });
    },
    verifyPrefill: async (_root, args: { seal: string; submitted: { name: string; value?: unknown }[] }, ctx) => {
      if (!ctx.access.principal) throw new HubError('UNAUTHENTICATED', 'A signed token is needed.', { reason: 'missing-token', http: { status: 401 } });
      let claims: SealClaims;
      try {
        claims = await openSeal(args.seal, await sealKeys(ctx.hub));
      } catch (err) {
        if (!(err instanceof SealRefused)) throw err;
        return { valid: false, reason: err.reason, intact: false, changed: [], missing: [], form: null, version: null, subject: null, sealedAt: null };
      }
      const submitted = new Map(args.submitted.map((s) => [s.name, s.value ?? null]));
      const changed: string[] = [];
      const missing: string[] = [];
      for (const [name, sealed] of Object.entries(claims.fields)) {
        if (!submitted.has(name)) missing.push(name);
        else if (digestOf(claims.salt, submitted.get(name)) !== sealed.digest) changed.push(name);
      }
      return {
        valid: true,
        reason: null,
        intact: !changed.length && !missing.length,
        changed,
        missing,
        form: claims.form,
        version: claims.formVersion,
        subject: claims.sub,
        sealedAt: claims.preparedAt,
      };
    },
    recheckPrefill: async (_root, args: { seal: string }, ctx, info) => {
      requireCallerWithPurpose(ctx);
      const claims = await claimsOf(ctx.hub, args.seal);
      const plan = usablePlan(ctx, info.schema, claims.form, claims.formVersion);
      const root = responsePath(info);
      const now = await runPrefill(ctx, info.schema, plan, claims.sub, { root, field: (i) => [...root, 'fields', i, 'now'] });
      const fields = now.fields.map((f: PrefilledField) => {
        const sealed = claims.fields[f.name];
        if (!sealed) return { name: f.name, sealed: false, changed: false, valueChanged: false, versionChanged: false, sealedVersions: [], now: f };
        const valueChanged = digestOf(claims.salt, f.value) !== sealed.digest;
        const versionChanged = !sameVersions(sealed.versions, f.source?.records.map((r) => r.version) ?? []);
        return { name: f.name, sealed: true, changed: valueChanged || versionChanged, valueChanged, versionChanged, sealedVersions: sealed.versions, now: f };
      });
      // A sealed field the form no longer has counts as changed.
      return {
        form: claims.form,
        version: claims.formVersion,
        subject: claims.sub,
        sealedAt: claims.preparedAt,
        checkedAt: now.preparedAt,
        changed: fields.filter((f) => f.changed).map((f) => f.name),
        fields,
        seal: now.seal,
      };
    },
  },
};
