import type pg from 'pg';
import { hubToday, type Principal } from '../access/index.js';
import { inTransaction } from '../db/index.js';
import { HubError, badUserInput, notFound } from '../server/errors.js';
import type { ResourceDeclaration } from './declaration.js';
import { auditedChange, type ChangeActor, type ChangeTrail } from './changes.js';
import { revokeGrants } from './reexamine.js';
import { CATALOG_CHANNEL } from './resources.js';
import { addWorkingDays, DECISION_WORKING_DAYS } from './working-days.js';

export interface AccessRequestInput {
  resource: string;
  fields: string[];
  purpose: string;
  legalBasis: string;
  validFrom?: string | null;
  validUntil: string;
}

export interface Approval {
  /** Narrows the requested fields. (Default: all requested) */
  fields?: string[] | null;
  /** Of the granted fields, those given masked only; each must have a display mask. (Default: none) */
  maskedFields?: string[] | null;
  /** Shortens the requested period. (Default: as requested) */
  validUntil?: string | null;
  /** Why the grant is made (required, as for a refusal). */
  reason?: string | null;
}

/** The hub's rules for grants, from configuration. */
export interface GrantRules {
  /** The hub's operator department, whose catalogue administrators may revoke any grant. (Default: data-bureau) */
  operator: string;
  /** Longest grant, in months from its first day. (Default: 36) */
  maxGrantMonths: number;
}

export const DEFAULT_GRANT_RULES: GrantRules = { operator: 'data-bureau', maxGrantMonths: 36 };

const actorOf = (p: Principal) => `${p.department}/${p.system}`;
const DATE = /^(\d{4})-\d{2}-\d{2}$/;

/** A real calendar day between 1900 and 9999 (PostgreSQL refuses year 0, and nothing older is meaningful here). */
export function checkDate(argument: string, value: string): void {
  const match = DATE.exec(value);
  const valid = match && Number(match[1]) >= 1900 && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) === value;
  if (!valid) throw badUserInput(argument, 'a date is YYYY-MM-DD, a real day from 1900 on');
}

/** The last day a grant starting on `from` may run to. */
export function lastAllowedDay(from: string, months: number): string {
  const day = new Date(`${from}T00:00:00Z`);
  day.setUTCMonth(day.getUTCMonth() + months);
  day.setUTCDate(day.getUTCDate() - 1);
  return day.toISOString().slice(0, 10);
}

export function requireRole(principal: Principal | null, role: Principal['roles'][number]): Principal {
  if (!principal) throw new HubError('UNAUTHENTICATED', 'A signed token is needed.');
  if (!principal.roles.includes(role)) throw new HubError('FORBIDDEN', `This needs the role ${role}.`, { reason: 'role-required', role });
  return principal;
}

export const forbidden = (reason: string, message: string) => new HubError('FORBIDDEN', message, { reason });

async function record(client: pg.PoolClient, requestId: string, kind: string, actor: string, reason: string | null, detail: object = {}) {
  await client.query('insert into access_request_event (request_id, kind, actor, reason, detail) values ($1, $2, $3, $4, $5)', [requestId, kind, actor, reason, detail]);
  // Delivered at commit, so every instance reloads grants only once the change stands.
  await client.query('select pg_notify($1, $2)', [CATALOG_CHANNEL, 'grants']);
}

/** A consumer department asks for fields of a conditionally shared resource, for one purpose and a bounded period. */
export async function requestAccessIn(client: pg.PoolClient, principal: Principal | null, input: AccessRequestInput, rules: GrantRules = DEFAULT_GRANT_RULES): Promise<string> {
  const who = requireRole(principal, 'consumer');
  const today = hubToday();
  const validFrom = input.validFrom ?? today;
  checkDate('validFrom', validFrom);
  checkDate('validUntil', input.validUntil);
  if (validFrom < today) throw badUserInput('validFrom', 'a grant never starts in the past');
  if (input.validUntil < validFrom) throw badUserInput('validUntil', 'the period ends before it begins');
  const last = lastAllowedDay(validFrom, rules.maxGrantMonths);
  if (input.validUntil > last) throw badUserInput('validUntil', `a grant runs at most ${rules.maxGrantMonths} months: until ${last}`);
  if (!input.legalBasis.trim()) throw badUserInput('legalBasis', 'state the legal basis of the request');
  const { rows } = await client.query<{ declaration: ResourceDeclaration }>('select declaration from catalog_resource where code = $1 and retired_at is null', [input.resource]);
  if (!rows.length) throw notFound('Catalogue resource', input.resource);
  const d = rows[0].declaration;
  if (d.sharing.type === 'unconditional') throw badUserInput('resource', 'the resource is shared unconditionally; no request is needed');
  if (d.sharing.type === 'none') throw badUserInput('resource', 'the resource is not shared (不予共享)');
  if (d.provider === who.department) throw badUserInput('resource', 'a provider needs no grant on its own resource');
  const items = new Map(d.items.map((i) => [i.name, i]));
  const unknown = input.fields.filter((f) => !items.has(f));
  if (!input.fields.length) throw badUserInput('fields', 'name at least one data item');
  if (unknown.length) throw badUserInput('fields', `not data items of ${d.code}: ${unknown.join(', ')}`);
  const purpose = await client.query('select 1 from purpose where code = $1', [input.purpose]);
  if (!purpose.rowCount) throw badUserInput('purpose', `"${input.purpose}" is not a registered purpose`);
  const fields = [...new Set(input.fields)];
  const sensitivities = Object.fromEntries(fields.map((f) => [f, items.get(f)!.sensitivity]));
  const inserted = await client.query<{ id: string }>(
    `insert into access_request (resource, consumer, fields, purpose, legal_basis, valid_from, valid_until, requested_by, due_on, sensitivities)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id::text`,
    [d.code, who.department, fields, input.purpose, input.legalBasis, validFrom, input.validUntil, actorOf(who), addWorkingDays(today, DECISION_WORKING_DAYS), sensitivities],
  );
  const id = inserted.rows[0].id;
  await record(client, id, 'requested', actorOf(who), input.legalBasis, { fields, purpose: input.purpose });
  return id;
}

interface OpenRequest {
  id: string;
  resource: string;
  fields: string[];
  status: string;
  valid_from: string;
  valid_until: string;
  consumer: string;
  purpose: string;
  sensitivities: Record<string, string>;
  declaration: ResourceDeclaration;
  retired: boolean;
}

/**
 * The request a provider decides, locked: only a `provider` system of the resource's provider
 * department decides it (another department's request looks like no request at all), never one its
 * own department made, and only while it is undecided (pending, or suspended by a change of provider).
 */
async function lockRequest(client: pg.PoolClient, principal: Principal | null, id: string): Promise<{ who: Principal; request: OpenRequest }> {
  const who = requireRole(principal, 'provider');
  if (!/^\d+$/.test(id)) throw badUserInput('id', 'an access request id is a number');
  const { rows } = await client.query<OpenRequest>(
    `select r.id::text, r.resource, r.fields, r.status, to_char(r.valid_from, 'YYYY-MM-DD') as valid_from, to_char(r.valid_until, 'YYYY-MM-DD') as valid_until,
       r.consumer, r.purpose, r.sensitivities, c.declaration, c.retired_at is not null as retired
     from access_request r join catalog_resource c on c.code = r.resource where r.id = $1 for update of r`,
    [id],
  );
  const request = rows[0];
  if (!request || request.declaration.provider !== who.department) throw notFound('Access request', id);
  if (request.consumer === who.department) throw forbidden('own-request', 'A department never decides its own request.');
  if (request.status !== 'pending' && request.status !== 'suspended') throw badUserInput('id', `the request is already ${request.status}`);
  return { who, request };
}

const RANK: Record<string, number> = { public: 0, internal: 1, personal: 2, sensitive: 3 };

/**
 * The provider approves, stating why, optionally narrowing fields or period. The request is checked
 * again against the resource as it is now and against today: the resource still conditional and
 * not retired, every field still one of its items, masked fields only where the item has a display
 * mask, an item made more sensitive since the request granted masked or not at all, the period not
 * over (a grant asked to start earlier starts today). The grant takes effect at once.
 */
export async function approveRequestIn(client: pg.PoolClient, principal: Principal | null, id: string, approval: Approval): Promise<{ requestId: string; grantId: string }> {
  const { who, request } = await lockRequest(client, principal, id);
  const reason = approval.reason?.trim();
  if (!reason) throw badUserInput('reason', 'an approval states its reason');
  const d = request.declaration;
  if (request.retired) throw badUserInput('id', 'the resource is retired');
  if (d.sharing.type !== 'conditional') throw badUserInput('id', `the resource is now shared ${d.sharing.type === 'none' ? 'with nobody' : 'unconditionally'}; no grant applies`);
  const items = new Map(d.items.map((i) => [i.name, i]));
  const fields = approval.fields ?? request.fields;
  const widened = fields.filter((f) => !request.fields.includes(f));
  if (!fields.length) throw badUserInput('fields', 'grant at least one field, or reject the request');
  if (widened.length) throw badUserInput('fields', `not requested: ${widened.join(', ')}`);
  const gone = fields.filter((f) => !items.has(f));
  if (gone.length) throw badUserInput('fields', `no longer data items of ${d.code}: ${gone.join(', ')}; narrow the fields`);
  const masked = approval.maskedFields ?? [];
  const stray = masked.filter((f) => !fields.includes(f));
  if (stray.length) throw badUserInput('maskedFields', `not granted: ${stray.join(', ')}`);
  const maskless = masked.filter((f) => !items.get(f)!.mask || items.get(f)!.mask === 'withhold');
  if (maskless.length) throw badUserInput('maskedFields', `no display mask, so they cannot be shown masked: ${maskless.join(', ')}`);
  const raised = fields.filter((f) => !masked.includes(f) && RANK[items.get(f)!.sensitivity] > RANK[request.sensitivities[f] ?? items.get(f)!.sensitivity]);
  if (raised.length) throw badUserInput('fields', `made more sensitive since the request: ${raised.join(', ')}; grant them masked or leave them out`);
  const today = hubToday();
  const validUntil = approval.validUntil ?? request.valid_until;
  checkDate('validUntil', validUntil);
  if (validUntil > request.valid_until) throw badUserInput('validUntil', 'an approval may shorten the period, not extend it');
  if (validUntil < today) throw badUserInput('validUntil', 'the period is over; reject the request');
  const validFrom = request.valid_from < today ? today : request.valid_from;
  if (validUntil < validFrom) throw badUserInput('validUntil', 'the period ends before it begins');
  const levels = Object.fromEntries(fields.map((f) => [f, masked.includes(f) ? 'masked' : 'clear']));
  const grant = await client.query<{ id: string }>(
    `insert into access_grant (request_id, resource, consumer, purpose, fields, valid_from, valid_until, granted_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning id::text`,
    [request.id, request.resource, request.consumer, request.purpose, levels, validFrom, validUntil, actorOf(who)],
  );
  await client.query(`update access_request set status = 'approved' where id = $1`, [request.id]);
  await record(client, request.id, 'approved', actorOf(who), reason, { grant: grant.rows[0].id, fields: levels, validFrom, validUntil });
  return { requestId: request.id, grantId: grant.rows[0].id };
}

/** The provider refuses, giving its reason (the rules require one). */
export async function rejectRequestIn(client: pg.PoolClient, principal: Principal | null, id: string, reason: string): Promise<string> {
  const { who, request } = await lockRequest(client, principal, id);
  if (!reason.trim()) throw badUserInput('reason', 'a refusal gives its reason');
  await client.query(`update access_request set status = 'rejected' where id = $1`, [request.id]);
  await record(client, request.id, 'rejected', actorOf(who), reason);
  return request.id;
}

/**
 * Withdraws a grant at once: a `provider` system of the resource's provider department, or a
 * catalogue administrator of the hub's operator; to anyone else the grant does not exist. Its
 * request shows `revoked`.
 */
export async function revokeGrantIn(client: pg.PoolClient, principal: Principal | null, id: string, reason: string, rules: GrantRules = DEFAULT_GRANT_RULES): Promise<string> {
  if (!principal) throw new HubError('UNAUTHENTICATED', 'A signed token is needed.');
  const operatorAdmin = principal.department === rules.operator && principal.roles.includes('catalog-admin');
  if (!operatorAdmin) requireRole(principal, 'provider');
  if (!/^\d+$/.test(id)) throw badUserInput('id', 'a grant id is a number');
  const { rows } = await client.query<{ resource: string; provider: string; revoked: boolean }>(
    `select g.resource, c.provider, g.revoked_at is not null as revoked
     from access_grant g join catalog_resource c on c.code = g.resource where g.id = $1 for update of g`,
    [id],
  );
  const grant = rows[0];
  if (!grant || (!operatorAdmin && grant.provider !== principal.department)) throw notFound('Grant', id);
  if (!reason.trim()) throw badUserInput('reason', 'a revocation gives its reason');
  if (grant.revoked) throw badUserInput('id', 'the grant is already revoked');
  await revokeGrants(client, { resource: grant.resource, ids: [id] }, actorOf(principal), reason);
  await client.query('select pg_notify($1, $2)', [CATALOG_CHANNEL, 'grants']);
  return id;
}

/** A trail to enter a fixture's grants in; tests and benchmarks seed without one. */
export type FixtureTrail = { log: ChangeTrail; actor: ChangeActor } | null;

function maybeAudited<T>(pool: pg.Pool, trail: FixtureTrail, action: string, args: object, reason: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  if (!trail) return inTransaction(pool, work);
  return auditedChange(pool, trail.log, trail.actor, { action, arguments: args, reason }, async (client) => ({ result: await work(client) }));
}

/** Seeding fixtures (the demo's grants): the same checks, in a transaction of their own, audited when given a trail. */
export const requestAccess = (pool: pg.Pool, principal: Principal | null, input: AccessRequestInput, rules?: GrantRules, trail: FixtureTrail = null) =>
  maybeAudited(pool, trail, 'requestAccess', { request: input, as: principal }, input.legalBasis, (client) => requestAccessIn(client, principal, input, rules));
export const approveRequest = (pool: pg.Pool, principal: Principal | null, id: string, approval: Approval, trail: FixtureTrail = null) =>
  maybeAudited(pool, trail, 'approveAccessRequest', { id, ...approval, as: principal }, approval.reason ?? '', async (client) => (await approveRequestIn(client, principal, id, approval)).requestId);
