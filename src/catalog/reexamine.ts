import type pg from 'pg';
import type { ResourceDeclaration } from './declaration.js';

const RANK = { public: 0, internal: 1, personal: 2, sensitive: 3 } as const;

async function event(client: pg.PoolClient, requestId: string, kind: string, actor: string, reason: string, detail: object = {}) {
  await client.query('insert into access_request_event (request_id, kind, actor, reason, detail) values ($1, $2, $3, $4, $5)', [requestId, kind, actor, reason, detail]);
}

/** Revokes grants (and marks their requests revoked), in the caller's transaction. */
export async function revokeGrants(client: pg.PoolClient, where: { resource: string; ids?: string[] }, actor: string, reason: string): Promise<string[]> {
  const { rows } = await client.query<{ id: string; request_id: string }>(
    `update access_grant set revoked_at = now(), revoked_by = $2, revoke_reason = $3
     where resource = $1 and revoked_at is null and ($4::bigint[] is null or id = any($4::bigint[])) returning id::text, request_id::text`,
    [where.resource, actor, reason, where.ids ?? null],
  );
  for (const g of rows) {
    await client.query(`update access_request set status = 'revoked' where id = $1`, [g.request_id]);
    await event(client, g.request_id, 'revoked', actor, reason, { grant: g.id });
  }
  return rows.map((g) => g.id);
}

/** A retired resource: every live grant ends and every undecided request is rejected. */
export async function endResourceAccess(client: pg.PoolClient, code: string, actor: string, reason: string): Promise<{ grantsEnded: string[]; requestsRejected: string[] }> {
  const grantsEnded = await revokeGrants(client, { resource: code }, actor, reason);
  const { rows } = await client.query<{ id: string }>(
    `update access_request set status = 'rejected' where resource = $1 and status in ('pending', 'suspended') returning id::text`,
    [code],
  );
  for (const r of rows) await event(client, r.id, 'rejected', actor, reason);
  return { grantsEnded, requestsRejected: rows.map((r) => r.id) };
}

/**
 * Live grants and undecided requests after a resource's declaration changed: a new provider
 * decides anew (pending requests suspended, grants made by the old provider revoked); an item
 * removed leaves every grant, and an item whose sensitivity was raised is no longer granted in
 * clear (masked where it has a display mask, else taken out); a grant left with nothing ends.
 */
export async function reexamineGrants(client: pg.PoolClient, before: ResourceDeclaration, after: ResourceDeclaration, actor: string): Promise<void> {
  if (before.provider !== after.provider) {
    const reason = `the provider changed from ${before.provider} to ${after.provider}, who decides anew`;
    const { rows } = await client.query<{ id: string }>(
      `update access_request set status = 'suspended' where resource = $1 and status = 'pending' returning id::text`,
      [after.code],
    );
    for (const r of rows) await event(client, r.id, 'suspended', actor, reason);
    await revokeGrants(client, { resource: after.code }, actor, reason);
    return;
  }
  const was = new Map(before.items.map((i) => [i.name, i]));
  const now = new Map(after.items.map((i) => [i.name, i]));
  const { rows } = await client.query<{ id: string; request_id: string; fields: Record<string, 'clear' | 'masked'> }>(
    `select id::text, request_id::text, fields from access_grant where resource = $1 and revoked_at is null for update`,
    [after.code],
  );
  for (const grant of rows) {
    const fields: Record<string, 'clear' | 'masked'> = {};
    for (const [name, level] of Object.entries(grant.fields)) {
      const item = now.get(name);
      if (!item) continue;
      const raised = RANK[item.sensitivity] > RANK[was.get(name)?.sensitivity ?? item.sensitivity];
      if (!raised || level === 'masked') fields[name] = level;
      else if (item.mask && item.mask !== 'withhold') fields[name] = 'masked';
    }
    if (JSON.stringify(fields) === JSON.stringify(grant.fields)) continue;
    if (!Object.keys(fields).length) {
      await revokeGrants(client, { resource: after.code, ids: [grant.id] }, actor, 'the resource changed: no granted item is left as granted');
      continue;
    }
    await client.query('update access_grant set fields = $2 where id = $1', [grant.id, fields]);
    await event(client, grant.request_id, 'reexamined', actor, 'the resource changed: items removed or made more sensitive', {
      grant: grant.id,
      before: grant.fields,
      after: fields,
    });
  }
}
