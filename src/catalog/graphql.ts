import type { IResolvers } from '@graphql-tools/utils';
import type pg from 'pg';
import { hubToday, type Principal } from '../access/index.js';
import type { HubContext } from '../server/context.js';
import { HubError, badUserInput, notFound } from '../server/errors.js';
import { DeclarationError, readRecordSchema, type ResourceDeclaration } from './declaration.js';
import { auditedChange } from './changes.js';
import {
  approveRequestIn,
  forbidden,
  rejectRequestIn,
  requestAccessIn,
  requireRole,
  revokeGrantIn,
  type AccessRequestInput,
  type GrantRules,
} from './requests.js';
import { applyDeclarationsIn, retireResourceIn, type ApplyOptions } from './resources.js';
import { RESOURCE_COLUMNS, searchResources, type CatalogFilter, type ResourceRow } from './search.js';

function authenticated(ctx: HubContext): Principal {
  if (!ctx.access.principal) throw new HubError('UNAUTHENTICATED', 'A signed token is needed.');
  return ctx.access.principal;
}

const actorOf = (p: Principal) => `${p.department}/${p.system}`;
const rulesOf = (ctx: HubContext): GrantRules => ({ operator: ctx.hub.config.operatorDepartment, maxGrantMonths: ctx.hub.config.grantMaxMonths });
const isOperatorAdmin = (p: Principal, ctx: HubContext) => p.department === ctx.hub.config.operatorDepartment && p.roles.includes('catalog-admin');

/** Catalogue administration belongs to the hub's operator: its `catalog-admin` systems, nobody else's. */
function requireOperatorAdmin(ctx: HubContext): Principal {
  const who = requireRole(ctx.access.principal, 'catalog-admin');
  if (who.department !== ctx.hub.config.operatorDepartment) {
    throw forbidden('operator-only', `Only the hub operator (${ctx.hub.config.operatorDepartment}) administers the catalogue; a provider proposes changes to its own resources (proposeResourceChange).`);
  }
  return who;
}

/** What a change did, and how to read back its result once it is committed. */
interface Done {
  detail?: unknown;
  read(): Promise<unknown>;
}

/**
 * A catalogue or grant change through GraphQL: made in one transaction that commits only once its
 * audit entry (the mutation's name, its arguments and reason, and what it did) is durable, so a
 * change the trail cannot record does not happen; refused attempts are recorded too. Every hub
 * instance reloads (NOTIFY at commit); this one before it answers.
 */
function audited<A extends object>(action: string, change: (args: A, ctx: HubContext, client: pg.PoolClient) => Promise<Done>) {
  return async (_root: unknown, args: A, ctx: HubContext) => {
    const who = authenticated(ctx);
    const reason = 'reason' in args && typeof args.reason === 'string' ? args.reason : null;
    const done = await auditedChange(ctx.hub.db.pool, ctx.hub.audit.log, who, { action, arguments: args, reason }, async (client) => {
      const result = await change(args, ctx, client);
      return { result, detail: result.detail };
    });
    await ctx.hub.catalog.reload();
    return done.read();
  };
}

/** GraphQL inputs carry `null` for what was left out; a declaration leaves the key out. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, withoutNulls(v)]));
  }
  return value;
}

/** A `ResourceInput` as a declaration: nulls dropped, an inline record schema (`recordSchemaJson`) parsed. */
function declarationOfInput(resource: unknown): ResourceDeclaration {
  const { recordSchemaJson, ...rest } = withoutNulls(resource) as ResourceDeclaration & { recordSchemaJson?: string };
  if (recordSchemaJson === undefined) return rest;
  if (rest.recordSchema !== undefined) throw badUserInput('resource.recordSchemaJson', 'give a record-schema file or an inline schema, not both');
  try {
    return { ...rest, recordSchema: JSON.parse(recordSchemaJson) as Record<string, unknown> };
  } catch (err) {
    throw badUserInput('resource.recordSchemaJson', `not valid JSON: ${(err as Error).message}`);
  }
}

const toResource = (row: ResourceRow) => ({ ...row.declaration, related: row.declaration.related ?? [], version: row.version, retired: row.retired, updatedAt: row.updatedAt });

/** A resource's record schema as the contract shows it: the file it names, or none, and the schema itself. */
const recordSchemaFields = {
  recordSchema: (d: ResourceDeclaration) => (typeof d.recordSchema === 'string' ? d.recordSchema : null),
  recordSchemaDocument: (d: ResourceDeclaration) => {
    const read = readRecordSchema(d);
    return JSON.stringify('schema' in read ? read.schema : { error: read.problem }, null, 2);
  },
  subject: (d: ResourceDeclaration) => d.subject ?? null,
  foundBy: (d: ResourceDeclaration) => d.foundBy ?? [],
};

async function resourceByCode(db: pg.Pool | pg.PoolClient, code: string) {
  const { rows } = await db.query<ResourceRow>(`select ${RESOURCE_COLUMNS} from catalog_resource where code = $1`, [code]);
  return rows[0] ? toResource(rows[0]) : null;
}

const declarationRefused = (err: DeclarationError) =>
  new HubError('BAD_USER_INPUT', err.message, {
    argument: 'resource',
    reason: 'the declaration is refused',
    problems: err.problems.map(({ path, message }) => ({ path, message })),
  });

async function apply(client: pg.PoolClient, ctx: HubContext, who: Principal, declaration: ResourceDeclaration, reason: string, options: ApplyOptions) {
  try {
    return await applyDeclarationsIn(client, [{ source: 'resource', data: declaration }], { actor: actorOf(who), reason }, { ...options, operator: ctx.hub.config.operatorDepartment });
  } catch (err) {
    if (err instanceof DeclarationError) throw declarationRefused(err);
    throw err;
  }
}

function requireReason(reason: string | null | undefined, why: string): string {
  if (!reason?.trim()) throw badUserInput('reason', why);
  return reason;
}

async function declare(ctx: HubContext, client: pg.PoolClient, resource: unknown, reason: string, only: 'new' | 'existing'): Promise<Done> {
  const who = requireOperatorAdmin(ctx);
  requireReason(reason, 'say why the catalogue changes');
  const declaration = declarationOfInput(resource);
  const stored = typeof declaration?.code === 'string' ? await resourceByCode(client, declaration.code) : null;
  if (stored && declaration.provider !== stored.provider && stored.provider !== ctx.hub.config.operatorDepartment) {
    throw forbidden('provider-consent-required', `A change of provider needs ${stored.provider}'s consent: ${stored.provider} proposes it (proposeResourceChange).`);
  }
  const outcomes = await apply(client, ctx, who, declaration, reason, { reinstate: true, only });
  return { detail: { outcomes: outcomes.map((o) => ({ code: o.code, change: o.change, ...('diff' in o ? { version: o.version, diff: o.diff } : {}) })) }, read: () => resourceByCode(ctx.hub.db.pool, declaration.code) };
}

const PROPOSAL_COLUMNS = `id::text, code, department, declaration, proposed_by as "proposedBy", reason, status, decided_by as "decidedBy",
  decision_reason as "decisionReason", to_char(proposed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "proposedAt"`;
const proposalById = async (db: pg.Pool | pg.PoolClient, id: string) => (await db.query(`select ${PROPOSAL_COLUMNS} from catalog_proposal where id = $1`, [id])).rows[0];

/** A provider department proposes a change to its own resource (or a new one it provides); the operator decides. */
async function propose(ctx: HubContext, client: pg.PoolClient, resource: unknown, reason: string): Promise<Done> {
  const who = authenticated(ctx);
  if (!who.roles.includes('provider') && !who.roles.includes('catalog-admin')) {
    throw new HubError('FORBIDDEN', 'This needs the role provider or catalog-admin.', { reason: 'role-required', role: 'provider' });
  }
  requireReason(reason, 'say why the resource should change');
  const declaration = declarationOfInput(resource);
  const code = typeof declaration?.code === 'string' ? declaration.code : '';
  const stored = code ? await resourceByCode(client, code) : null;
  const provider = stored?.provider ?? declaration?.provider;
  if (provider !== who.department) throw forbidden('not-provider', 'A department proposes changes to the resources it provides only.');
  if (who.department === ctx.hub.config.operatorDepartment) throw badUserInput('resource', 'the operator changes its own resources directly (updateResource)');
  await apply(client, ctx, who, declaration, reason, { dryRun: true, reinstate: true, providerConsent: [code] }).then((outcomes) => {
    const refused = outcomes.flatMap((o) => (o.change === 'refused' ? o.problems : []));
    if (refused.length) throw declarationRefused(new DeclarationError(refused));
  });
  const { rows } = await client.query<{ id: string }>(
    `insert into catalog_proposal (code, department, declaration, proposed_by, reason) values ($1, $2, $3, $4, $5) returning id::text`,
    [code, who.department, declaration, actorOf(who), reason],
  );
  return { detail: { proposal: rows[0].id }, read: () => proposalById(ctx.hub.db.pool, rows[0].id) };
}

/** The operator decides a proposal, never one its own department made; an approval applies it (a change of provider included: the old provider proposed it). */
async function decideProposal(ctx: HubContext, client: pg.PoolClient, id: string, reason: string, approve: boolean): Promise<Done> {
  const who = requireOperatorAdmin(ctx);
  if (!/^\d+$/.test(id)) throw badUserInput('id', 'a proposal id is a number');
  const { rows } = await client.query<{ code: string; department: string; status: string; declaration: ResourceDeclaration }>(
    'select code, department, status, declaration from catalog_proposal where id = $1 for update',
    [id],
  );
  const proposal = rows[0];
  if (!proposal) throw notFound('Proposal', id);
  if (proposal.department === who.department) throw forbidden('own-request', 'A department never decides its own request.');
  requireReason(reason, approve ? 'an approval states its reason' : 'a refusal gives its reason');
  if (proposal.status !== 'pending') throw badUserInput('id', `the proposal is already ${proposal.status}`);
  let outcomes: unknown[] = [];
  if (approve) {
    const stored = await resourceByCode(client, proposal.code);
    if (stored && stored.provider !== proposal.department) throw badUserInput('id', `${proposal.department} no longer provides ${proposal.code}`);
    outcomes = (await apply(client, ctx, who, proposal.declaration, `${reason} (proposed by ${proposal.department})`, { reinstate: true, providerConsent: [proposal.code] })).map((o) => ({ code: o.code, change: o.change }));
  }
  await client.query(`update catalog_proposal set status = $2, decided_by = $3, decision_reason = $4, decided_at = now() where id = $1`, [id, approve ? 'approved' : 'rejected', actorOf(who), reason]);
  return { detail: { outcomes }, read: () => proposalById(ctx.hub.db.pool, id) };
}

const REQUEST_COLUMNS = `r.id::text, r.resource, r.consumer, r.fields, r.purpose, r.legal_basis as "legalBasis",
  r.valid_from as "validFrom", r.valid_until as "validUntil", r.status, r.requested_by as "requestedBy",
  to_char(r.requested_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "requestedAt", r.due_on as "dueOn"`;
const GRANT_COLUMNS = `id::text, resource, consumer, purpose, fields, valid_from as "validFrom", valid_until as "validUntil",
  granted_by as "grantedBy", to_char(granted_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "grantedAt",
  to_char(revoked_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "revokedAt", revoked_by as "revokedBy", revoke_reason as "revokeReason"`;

interface RequestRow {
  id: string;
  status: string;
  dueOn: string;
}

/** Requests visible to the caller: its own, those on its resources, or all for the operator's catalogue administrators. */
async function visibleRequests(ctx: HubContext, where: string, params: unknown[]) {
  const who = authenticated(ctx);
  const all = isOperatorAdmin(who, ctx);
  const { rows } = await ctx.hub.db.pool.query<RequestRow>(
    `select ${REQUEST_COLUMNS} from access_request r join catalog_resource c on c.code = r.resource
     where (${all ? 'true' : `r.consumer = $${params.length + 1} or c.provider = $${params.length + 1}`}) and ${where}
     order by r.id desc`,
    all ? params : [...params, who.department],
  );
  return rows;
}

export const catalogResolvers: IResolvers<unknown, HubContext> = {
  Query: {
    catalogResource: (_root, { code }: { code: string }, ctx) => {
      authenticated(ctx);
      return resourceByCode(ctx.hub.db.pool, code);
    },
    catalogResources: async (_root, args: { search?: string; filter?: CatalogFilter; first?: number | null; after?: string | null }, ctx) => {
      authenticated(ctx);
      const page = await searchResources(ctx.hub.db.pool, { search: args.search, filter: args.filter }, args);
      return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: toResource(e.node) })) };
    },
    resourceHistory: async (_root, { code }: { code: string }, ctx) => {
      authenticated(ctx);
      const { rows } = await ctx.hub.db.pool.query(
        `select version, change, changed_by as "changedBy", reason, diff, declaration, code,
           to_char(changed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "changedAt"
         from catalog_resource_version where code = $1 order by version desc`,
        [code],
      );
      if (!rows.length) throw notFound('Catalogue resource', code);
      return rows;
    },
    accessRequests: async (_root, { status, overdue }: { status?: string; overdue?: boolean }, ctx) => {
      const rows = await visibleRequests(ctx, status ? 'r.status = $1' : 'true', status ? [status] : []);
      return overdue === undefined || overdue === null ? rows : rows.filter((r) => isOverdue(r) === overdue);
    },
    resourceProposals: async (_root, { status }: { status?: string | null }, ctx) => {
      const who = authenticated(ctx);
      const all = isOperatorAdmin(who, ctx);
      const { rows } = await ctx.hub.db.pool.query(
        `select ${PROPOSAL_COLUMNS} from catalog_proposal where ($1::text is null or status = $1) and ($2::text is null or department = $2) order by id desc`,
        [status ?? null, all ? null : who.department],
      );
      return rows;
    },
    accessRequest: async (_root, { id }: { id: string }, ctx) => {
      if (!/^\d+$/.test(id)) throw badUserInput('id', 'an access request id is a number');
      return (await visibleRequests(ctx, 'r.id = $1', [id]))[0] ?? null;
    },
  },
  Mutation: {
    registerResource: audited('registerResource', ({ resource, reason }: { resource: unknown; reason: string }, ctx, client) => declare(ctx, client, resource, reason, 'new')),
    updateResource: audited('updateResource', ({ resource, reason }: { resource: unknown; reason: string }, ctx, client) => declare(ctx, client, resource, reason, 'existing')),
    retireResource: audited('retireResource', async ({ code, reason }: { code: string; reason: string }, ctx, client) => {
      const who = requireOperatorAdmin(ctx);
      requireReason(reason, 'say why the resource is retired');
      const retired = await retireResourceIn(client, code, { actor: actorOf(who), reason });
      if (!retired) {
        if (await resourceByCode(client, code)) throw badUserInput('code', 'the resource is already retired');
        throw notFound('Catalogue resource', code);
      }
      return { detail: retired, read: () => resourceByCode(ctx.hub.db.pool, code) };
    }),
    proposeResourceChange: audited('proposeResourceChange', ({ resource, reason }: { resource: unknown; reason: string }, ctx, client) => propose(ctx, client, resource, reason)),
    approveResourceProposal: audited('approveResourceProposal', ({ id, reason }: { id: string; reason: string }, ctx, client) => decideProposal(ctx, client, id, reason, true)),
    rejectResourceProposal: audited('rejectResourceProposal', ({ id, reason }: { id: string; reason: string }, ctx, client) => decideProposal(ctx, client, id, reason, false)),
    requestAccess: audited('requestAccess', async ({ request }: { request: AccessRequestInput }, ctx, client) => {
      const id = await requestAccessIn(client, ctx.access.principal, request, rulesOf(ctx));
      return { detail: { request: id }, read: async () => (await visibleRequests(ctx, 'r.id = $1', [id]))[0] };
    }),
    approveAccessRequest: audited('approveAccessRequest', async (args: { id: string; fields?: string[]; maskedFields?: string[]; validUntil?: string; reason?: string }, ctx, client) => {
      const { requestId, grantId } = await approveRequestIn(client, ctx.access.principal, args.id, args);
      return { detail: { grant: grantId }, read: async () => (await visibleRequests(ctx, 'r.id = $1', [requestId]))[0] };
    }),
    rejectAccessRequest: audited('rejectAccessRequest', async ({ id, reason }: { id: string; reason: string }, ctx, client) => {
      await rejectRequestIn(client, ctx.access.principal, id, reason);
      return { read: async () => (await visibleRequests(ctx, 'r.id = $1', [id]))[0] };
    }),
    revokeGrant: audited('revokeGrant', async ({ id, reason }: { id: string; reason: string }, ctx, client) => {
      await revokeGrantIn(client, ctx.access.principal, id, reason, rulesOf(ctx));
      return { read: async () => (await ctx.hub.db.pool.query(`select ${GRANT_COLUMNS} from access_grant where id = $1`, [id])).rows[0] };
    }),
  },
  CatalogResource: recordSchemaFields,
  ResourceProposal: {
    resource: (p: { declaration: ResourceDeclaration }) => ({ ...p.declaration, related: p.declaration.related ?? [], version: 0, retired: false, updatedAt: '' }),
  },
  ResourceVersion: {
    diff: (v: { diff: { path: string; before: unknown; after: unknown }[] }) =>
      v.diff.map((c) => ({ path: c.path, before: c.before === null ? null : JSON.stringify(c.before), after: c.after === null ? null : JSON.stringify(c.after) })),
    resource: (v: { declaration: ResourceDeclaration; version: number; change: string; changedAt: string }) => ({
      ...v.declaration,
      related: v.declaration.related ?? [],
      version: v.version,
      retired: v.change === 'retired',
      updatedAt: v.changedAt,
    }),
  },
  AccessRequest: {
    overdue: (r: RequestRow) => isOverdue(r),
    grant: async (r: RequestRow, _args, ctx) =>
      (await ctx.hub.db.pool.query(`select ${GRANT_COLUMNS} from access_grant where request_id = $1`, [r.id])).rows[0] ?? null,
    events: async (r: RequestRow, _args, ctx) =>
      (
        await ctx.hub.db.pool.query(
          `select kind, actor, reason, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at
           from access_request_event where request_id = $1 order by id`,
          [r.id],
        )
      ).rows,
  },
  Grant: {
    fields: (g: { fields: Record<string, string> }) =>
      Object.entries(g.fields)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, level]) => ({ name, level })),
  },
};

/** Pending after its due day (hub time). */
const isOverdue = (r: RequestRow) => r.status === 'pending' && hubToday() > r.dueOn;
