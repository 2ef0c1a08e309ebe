import type pg from 'pg';
import { hubToday, type Principal } from '../access/index.js';
import { HubError, badUserInput, notFound } from '../server/errors.js';
import type { ResourceDeclaration } from './declaration.js';
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
  /** Of the granted fields, those given masked only. (Default: none) */
  maskedFields?: string[] | null;
  /** Shortens the requested period. (Default: as requested) */
  validUntil?: string | null;
  reason?: string | null;
}

const actorOf = (p: Principal) => `${p.department}/${p.system}`;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function checkDate(argument: string, value: string): void {
  if (!DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw badUserInput(argument, 'a date is YYYY-MM-DD');
  }
}

export function requireRole(principal: Principal | null, role: Principal['roles'][number]): Principal {
  if (!principal) throw new HubError('UNAUTHENTICATED', 'A signed token is needed.');
  if (!principal.roles.includes(role)) throw new HubError('FORBIDDEN', `This needs the role ${role}.`, { role });
  return principal;
}

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('select pg_notify($1, $2)', [CATALOG_CHANNEL, 'grants']);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

async function record(client: pg.PoolClient, requestId: string, kind: string, actor: string, reason: string | null, detail: object = {}) {
  await client.query('insert into access_request_event (request_id, kind, actor, reason, detail) values ($1, $2, $3, $4, $5)', [
    requestId,
    kind,
    actor,
    reason,
    detail,
  ]);
}

/** A consumer department asks for fields of a conditionally shared resource, for one purpose and period. */
export async function requestAccess(pool: pg.Pool, principal: Principal | null, input: AccessRequestInput): Promise<string> {
  const who = requireRole(principal, 'consumer');
  const today = hubToday();
  const validFrom = input.validFrom ?? today;
  checkDate('validFrom', validFrom);
  checkDate('validUntil', input.validUntil);
  if (input.validUntil < validFrom) throw badUserInput('validUntil', 'the period ends before it begins');
  if (input.validUntil < today) throw badUserInput('validUntil', 'the period has already ended');
  if (!input.legalBasis.trim()) throw badUserInput('legalBasis', 'state the legal basis of the request');
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ declaration: ResourceDeclaration }>(
      'select declaration from catalog_resource where code = $1 and retired_at is null',
      [input.resource],
    );
    if (!rows.length) throw notFound('Catalogue resource', input.resource);
    const d = rows[0].declaration;
    if (d.sharing.type === 'unconditional') throw badUserInput('resource', 'the resource is shared unconditionally; no request is needed');
    if (d.sharing.type === 'none') throw badUserInput('resource', 'the resource is not shared (不予共享)');
    if (d.provider === who.department) throw badUserInput('resource', 'a provider needs no grant on its own resource');
    const items = new Set(d.items.map((i) => i.name));
    const unknown = input.fields.filter((f) => !items.has(f));
    if (!input.fields.length) throw badUserInput('fields', 'name at least one data item');
    if (unknown.length) throw badUserInput('fields', `not data items of ${d.code}: ${unknown.join(', ')}`);
    const purpose = await client.query('select 1 from purpose where code = $1', [input.purpose]);
    if (!purpose.rowCount) throw badUserInput('purpose', `"${input.purpose}" is not a registered purpose`);
    const inserted = await client.query<{ id: string }>(
      `insert into access_request (resource, consumer, fields, purpose, legal_basis, valid_from, valid_until, requested_by, due_on)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id::text`,
      [d.code, who.department, [...new Set(input.fields)], input.purpose, input.legalBasis, validFrom, input.validUntil, actorOf(who), addWorkingDays(today, DECISION_WORKING_DAYS)],
    );
    const id = inserted.rows[0].id;
    await record(client, id, 'requested', actorOf(who), input.legalBasis, { fields: input.fields, purpose: input.purpose });
    return id;
  });
}

interface PendingRequest {
  id: string;
  resource: string;
  fields: string[];
  status: string;
  valid_from: string;
  valid_until: string;
  consumer: string;
  purpose: string;
  provider: string;
}

async function lockRequest(client: pg.PoolClient, principal: Principal | null, id: string): Promise<{ who: Principal; request: PendingRequest }> {
  const who = requireRole(principal, 'provider');
  if (!/^\d+$/.test(id)) throw badUserInput('id', 'an access request id is a number');
  const { rows } = await client.query<PendingRequest>(
    `select r.id::text, r.resource, r.fields, r.status, r.valid_from, r.valid_until, r.consumer, r.purpose, c.provider
     from access_request r join catalog_resource c on c.code = r.resource where r.id = $1 for update of r`,
    [id],
  );
  const request = rows[0];
  // Another department's request looks like no request at all.
  if (!request || request.provider !== who.department) throw notFound('Access request', id);
  if (request.status !== 'pending') throw badUserInput('id', `the request is already ${request.status}`);
  return { who, request };
}

/** The provider approves, optionally narrowing fields or period; a grant takes effect at once. */
export async function approveRequest(pool: pg.Pool, principal: Principal | null, id: string, approval: Approval): Promise<string> {
  return inTransaction(pool, async (client) => {
    const { who, request } = await lockRequest(client, principal, id);
    const fields = approval.fields ?? request.fields;
    const widened = fields.filter((f) => !request.fields.includes(f));
    if (!fields.length) throw badUserInput('fields', 'grant at least one field, or reject the request');
    if (widened.length) throw badUserInput('fields', `not requested: ${widened.join(', ')}`);
    const masked = approval.maskedFields ?? [];
    const stray = masked.filter((f) => !fields.includes(f));
    if (stray.length) throw badUserInput('maskedFields', `not granted: ${stray.join(', ')}`);
    const validUntil = approval.validUntil ?? request.valid_until;
    checkDate('validUntil', validUntil);
    if (validUntil > request.valid_until) throw badUserInput('validUntil', 'an approval may shorten the period, not extend it');
    if (validUntil < request.valid_from) throw badUserInput('validUntil', 'the period ends before it begins');
    const levels = Object.fromEntries(fields.map((f) => [f, masked.includes(f) ? 'masked' : 'clear']));
    const grant = await client.query<{ id: string }>(
      `insert into access_grant (request_id, resource, consumer, purpose, fields, valid_from, valid_until, granted_by)
       values ($1, $2, $3, $4, $5, $6, $7, $8) returning id::text`,
      [request.id, request.resource, request.consumer, request.purpose, levels, request.valid_from, validUntil, actorOf(who)],
    );
    await client.query(`update access_request set status = 'approved' where id = $1`, [request.id]);
    await record(client, request.id, 'approved', actorOf(who), approval.reason ?? null, { grant: grant.rows[0].id, fields: levels, validUntil });
    return request.id;
  });
}

/** The provider refuses, giving its reason (the rules require one). */
export async function rejectRequest(pool: pg.Pool, principal: Principal | null, id: string, reason: string): Promise<string> {
  if (!reason.trim()) throw badUserInput('reason', 'a refusal gives its reason');
  return inTransaction(pool, async (client) => {
    const { who, request } = await lockRequest(client, principal, id);
    await client.query(`update access_request set status = 'rejected' where id = $1`, [request.id]);
    await record(client, request.id, 'rejected', actorOf(who), reason);
    return request.id;
  });
}

/** The provider (or a catalogue administrator) withdraws a grant; it stops working at once. */
export async function revokeGrant(pool: pg.Pool, principal: Principal | null, id: string, reason: string): Promise<string> {
  if (!principal) throw new HubError('UNAUTHENTICATED', 'A signed token is needed.');
  const admin = principal.roles.includes('catalog-admin');
  if (!admin) requireRole(principal, 'provider');
  if (!/^\d+$/.test(id)) throw badUserInput('id', 'a grant id is a number');
  if (!reason.trim()) throw badUserInput('reason', 'a revocation gives its reason');
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ request_id: string; provider: string; revoked: boolean }>(
      `select g.request_id::text, c.provider, g.revoked_at is not null as revoked
       from access_grant g join catalog_resource c on c.code = g.resource where g.id = $1 for update of g`,
      [id],
    );
    const grant = rows[0];
    if (!grant || (!admin && grant.provider !== principal.department)) throw notFound('Grant', id);
    if (grant.revoked) throw badUserInput('id', 'the grant is already revoked');
    await client.query('update access_grant set revoked_at = now(), revoked_by = $2, revoke_reason = $3 where id = $1', [id, actorOf(principal), reason]);
    await record(client, grant.request_id, 'revoked', actorOf(principal), reason, { grant: id });
    return id;
  });
}
