import type { IResolvers } from '@graphql-tools/utils';
import { Kind, type DocumentNode, type GraphQLResolveInfo } from 'graphql';
import { hubToday, type Principal } from '../access/index.js';
import { draftFor } from '../audit/index.js';
import type { HubContext } from '../server/context.js';
import { HubError, badUserInput, notFound } from '../server/errors.js';
import { DeclarationError, type ResourceDeclaration } from './declaration.js';
import { approveRequest, rejectRequest, requestAccess, requireRole, revokeGrant, type AccessRequestInput } from './requests.js';
import { applyDeclarations, retireResource } from './resources.js';
import { RESOURCE_COLUMNS, searchResources, type CatalogFilter, type ResourceRow } from './search.js';

function authenticated(ctx: HubContext): Principal {
  if (!ctx.access.principal) throw new HubError('UNAUTHENTICATED', 'A signed token is needed.');
  return ctx.access.principal;
}

const actorOf = (p: Principal) => `${p.department}/${p.system}`;

/**
 * A catalogue change, once stored, is also entered in the audit trail (who, which operation,
 * when); the catalogue's own version and event tables say what changed. If the entry cannot be
 * written the caller is told (`AUDIT_UNAVAILABLE`), though the change stands.
 */
function audited<A>(change: (args: A, ctx: HubContext) => Promise<unknown>) {
  return async (_root: unknown, args: A, ctx: HubContext, info: GraphQLResolveInfo) => {
    const result = await change(args, ctx);
    const document: DocumentNode = { kind: Kind.DOCUMENT, definitions: [info.operation, ...Object.values(info.fragments)] };
    try {
      await ctx.hub.audit.log.record(draftFor(ctx.access, { document, operationName: info.operation.name?.value ?? null }, { data: { [info.fieldName]: result } }));
    } catch (err) {
      ctx.hub.logger.error({ err, operation: info.fieldName }, 'catalogue change stored but not audited');
      throw new HubError('AUDIT_UNAVAILABLE', 'The change is stored, but the audit trail could not record it.');
    }
    return result;
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

const toResource = (row: ResourceRow) => ({ ...row.declaration, related: row.declaration.related ?? [], version: row.version, retired: row.retired, updatedAt: row.updatedAt });

async function resourceByCode(ctx: HubContext, code: string) {
  const { rows } = await ctx.hub.db.pool.query<ResourceRow>(`select ${RESOURCE_COLUMNS} from catalog_resource where code = $1`, [code]);
  return rows[0] ? toResource(rows[0]) : null;
}

async function declare(ctx: HubContext, resource: unknown, reason: string, only: 'new' | 'existing') {
  const who = requireRole(ctx.access.principal, 'catalog-admin');
  if (!reason.trim()) throw badUserInput('reason', 'say why the catalogue changes');
  const declaration = withoutNulls(resource) as ResourceDeclaration;
  try {
    await applyDeclarations(ctx.hub.db.pool, [{ source: 'resource', data: declaration }], { actor: actorOf(who), reason }, { reinstate: true, only });
  } catch (err) {
    if (!(err instanceof DeclarationError)) throw err;
    throw new HubError('BAD_USER_INPUT', err.message, {
      argument: 'resource',
      reason: 'the declaration is refused',
      problems: err.problems.map(({ path, message }) => ({ path, message })),
    });
  }
  await ctx.hub.catalog.reload();
  return resourceByCode(ctx, declaration.code);
}

const PAGE_MAX = 100;

function decodeCursor(after: string | null | undefined): number {
  if (!after) return 0;
  const offset = Number(Buffer.from(after, 'base64url').toString('utf8').replace(/^offset:/, ''));
  if (!Number.isInteger(offset) || offset < 0) throw badUserInput('after', 'not a cursor from this connection');
  return offset;
}
const encodeCursor = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');

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

/** Requests visible to the caller: its own, those on its resources, or all for catalogue administrators. */
async function visibleRequests(ctx: HubContext, where: string, params: unknown[]) {
  const who = authenticated(ctx);
  const all = who.roles.includes('catalog-admin');
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
      return resourceByCode(ctx, code);
    },
    catalogResources: async (_root, args: { search?: string; filter?: CatalogFilter; first: number; after?: string }, ctx) => {
      authenticated(ctx);
      if (args.first < 0 || args.first > PAGE_MAX) throw badUserInput('first', `between 0 and ${PAGE_MAX}`);
      const offset = decodeCursor(args.after);
      const { rows, total } = await searchResources(ctx.hub.db.pool, { search: args.search, filter: args.filter, first: args.first, offset });
      return {
        edges: rows.map((row, i) => ({ cursor: encodeCursor(offset + i + 1), node: toResource(row) })),
        pageInfo: { hasNextPage: offset + rows.length < total, endCursor: rows.length ? encodeCursor(offset + rows.length) : null },
        totalCount: total,
      };
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
    accessRequest: async (_root, { id }: { id: string }, ctx) => {
      if (!/^\d+$/.test(id)) throw badUserInput('id', 'an access request id is a number');
      return (await visibleRequests(ctx, 'r.id = $1', [id]))[0] ?? null;
    },
  },
  Mutation: {
    registerResource: audited(({ resource, reason }: { resource: unknown; reason: string }, ctx) => declare(ctx, resource, reason, 'new')),
    updateResource: audited(({ resource, reason }: { resource: unknown; reason: string }, ctx) => declare(ctx, resource, reason, 'existing')),
    retireResource: audited(async ({ code, reason }: { code: string; reason: string }, ctx) => {
      const who = requireRole(ctx.access.principal, 'catalog-admin');
      if (!reason.trim()) throw badUserInput('reason', 'say why the resource is retired');
      const retired = await retireResource(ctx.hub.db.pool, code, { actor: actorOf(who), reason });
      if (!retired) {
        if (await resourceByCode(ctx, code)) throw badUserInput('code', 'the resource is already retired');
        throw notFound('Catalogue resource', code);
      }
      await ctx.hub.catalog.reload();
      return resourceByCode(ctx, code);
    }),
    requestAccess: audited(async ({ request }: { request: AccessRequestInput }, ctx) => {
      const id = await requestAccess(ctx.hub.db.pool, ctx.access.principal, request);
      return (await visibleRequests(ctx, 'r.id = $1', [id]))[0];
    }),
    approveAccessRequest: audited(async (args: { id: string; fields?: string[]; maskedFields?: string[]; validUntil?: string; reason?: string }, ctx) => {
      const id = await approveRequest(ctx.hub.db.pool, ctx.access.principal, args.id, args);
      await ctx.hub.catalog.reload();
      return (await visibleRequests(ctx, 'r.id = $1', [id]))[0];
    }),
    rejectAccessRequest: audited(async ({ id, reason }: { id: string; reason: string }, ctx) => {
      await rejectRequest(ctx.hub.db.pool, ctx.access.principal, id, reason);
      return (await visibleRequests(ctx, 'r.id = $1', [id]))[0];
    }),
    revokeGrant: audited(async ({ id, reason }: { id: string; reason: string }, ctx) => {
      await revokeGrant(ctx.hub.db.pool, ctx.access.principal, id, reason);
      await ctx.hub.catalog.reload();
      const { rows } = await ctx.hub.db.pool.query(`select ${GRANT_COLUMNS} from access_grant where id = $1`, [id]);
      return rows[0];
    }),
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
