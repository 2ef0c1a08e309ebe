import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

/**
 * The group role the hub runs as. It may read and write every table, except the audit trail, which
 * it may only append to and read (`audit_entry`, `audit_checkpoint`) or read (`audit_head`, moved
 * by `audit_append`). Tables belong to the owner role that runs migrations, so the runtime role
 * cannot switch their triggers off or change their grants.
 */
export const RUNTIME_GROUP = 'huitong_runtime';
/** The login role the embedded set-up creates in that group. */
export const EMBEDDED_RUNTIME_USER = 'huitong_app';
const AUDIT_APPEND_ONLY = ['audit_entry', 'audit_checkpoint'];
const AUDIT_READ_ONLY = ['audit_head'];
/** Tables connector runs write in bulk (and analyse as they grow them). */
const INGEST_TABLES = ['department_record', 'person', 'household', 'legal_entity', 'property_unit', 'city_component', 'sync_seen_key'];

const ident = (name: string) => pg.Client.prototype.escapeIdentifier(name);

/**
 * Grants the runtime group its rights on every table and sequence (those of migrations added later
 * included: run after every migration, as the owner), and makes `runtimeUser` a member when it is
 * another role than the owner. Idempotent.
 */
export async function grantRuntime(ownerUrl: string, runtimeUser: string | null): Promise<void> {
  const client = new pg.Client(ownerUrl);
  await client.connect();
  try {
    const { rows } = await client.query<{ me: string; exists: boolean }>(
      `select current_user as me, exists (select 1 from pg_roles where rolname = $1) as exists`,
      [RUNTIME_GROUP],
    );
    if (!rows[0].exists) {
      throw new Error(`the role ${RUNTIME_GROUP} does not exist: create it (create role ${RUNTIME_GROUP} nologin) as an administrator, then start again`);
    }
    const group = ident(RUNTIME_GROUP);
    await client.query(`grant usage on schema public to ${group}`);
    await client.query(`grant select, insert, update, delete, truncate on all tables in schema public to ${group}`);
    await client.query(`grant usage, select, update on all sequences in schema public to ${group}`);
    // Connector runs refresh the statistics of the tables they grow (src/exchange/runner.ts): the
    // planner picks each record's index probe from them, and with an empty table's statistics it
    // picks a scan. MAINTAIN (PostgreSQL 17+) is what ANALYZE needs of a role that is not the owner.
    const { rows: version } = await client.query<{ n: number }>("select current_setting('server_version_num')::int as n");
    if (Number(version[0].n) >= 170000) await client.query(`grant maintain on ${INGEST_TABLES.map(ident).join(', ')} to ${group}`);
    const appendOnly = AUDIT_APPEND_ONLY.map(ident).join(', ');
    const readOnly = AUDIT_READ_ONLY.map(ident).join(', ');
    await client.query(`revoke update, delete, truncate on ${appendOnly} from ${group}`);
    await client.query(`revoke insert, update, delete, truncate on ${readOnly} from ${group}`);
    if (runtimeUser && runtimeUser !== rows[0].me) {
      const member = await client.query('select pg_has_role($1, $2, $3) as yes', [runtimeUser, RUNTIME_GROUP, 'member']);
      if (!member.rows[0].yes) await client.query(`grant ${group} to ${ident(runtimeUser)}`);
    }
  } finally {
    await client.end();
  }
}

/**
 * The embedded cluster's runtime login (created on first use, its password kept beside the
 * cluster's in the data directory), a member of the runtime group.
 */
export async function ensureEmbeddedRuntimeUser(adminUrl: string, dataDir: string): Promise<{ user: string; password: string }> {
  const file = path.join(dataDir, 'pg-runtime.json');
  let password: string;
  if (existsSync(file)) password = (JSON.parse(await readFile(file, 'utf8')) as { password: string }).password;
  else {
    password = randomBytes(18).toString('base64url');
    await writeFile(file, JSON.stringify({ user: EMBEDDED_RUNTIME_USER, password }), { mode: 0o600 });
  }
  await ensureLogin(adminUrl, EMBEDDED_RUNTIME_USER, password);
  return { user: EMBEDDED_RUNTIME_USER, password };
}

/** Creates (or re-passwords) a login role in the runtime group, and the group when missing. */
export async function ensureLogin(adminUrl: string, user: string, password: string): Promise<void> {
  const client = new pg.Client(adminUrl);
  await client.connect();
  try {
    const literal = (v: string) => pg.Client.prototype.escapeLiteral(v);
    await client.query(`do $$ begin
      if not exists (select 1 from pg_roles where rolname = ${literal(RUNTIME_GROUP)}) then create role ${ident(RUNTIME_GROUP)} nologin; end if;
      if not exists (select 1 from pg_roles where rolname = ${literal(user)}) then create role ${ident(user)} login; end if;
    end $$`);
    await client.query(`alter role ${ident(user)} with login nosuperuser nocreatedb nocreaterole password ${literal(password)}`);
    await client.query(`grant ${ident(RUNTIME_GROUP)} to ${ident(user)}`);
  } finally {
    await client.end();
  }
}

/** `url` with another user and password. */
export function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

export function userOf(url: string): string | null {
  const user = decodeURIComponent(new URL(url).username);
  return user || null;
}
