import pg from 'pg';
import { isMalformed, type DatasetContext } from './datasets.js';
import { datasetSpec } from './rest-server.js';

const ident = (name: string) => pg.Client.prototype.escapeIdentifier(name);

/** Front-end tables (前置库) and the dataset each is filled from. */
export const FRONT_TABLES: Record<string, string> = {
  bdc_unit: 'real-estate-units',
  hrss_benefit: 'hrss-pension',
  gjj_account: 'provident-fund',
  mz_marriage: 'marriages',
  grid_event: 'grid-events',
};

export interface FrontDbOptions {
  /** Database name. (Default: `huitong_frontdb`) */
  database?: string;
  /** Its owner, the departments' exchange role: the hub reads with it and owns nothing else. (Default: `huitong_frontdb`) */
  role?: string;
  password?: string;
  /** Rows per table. (Default: 1000) */
  rows?: number;
  /** Only these tables. (Default: all of FRONT_TABLES) */
  tables?: string[];
  /** Share of rows stored spoiled, the same rows each time. (Default: 0) */
  malformedRate?: number;
  /** Start from empty tables even when the database exists. (Default: false: an existing one is kept) */
  replace?: boolean;
}

export interface FrontDb {
  /** URL as the front-end role, for connector definitions (`HUITONG_FRONTDB_URL`). */
  url: string;
  /** Changes one row the way the department's system would (its change stamp moved to now). */
  change(table: string, where: Record<string, string>, patch: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/**
 * A department front-end exchange database on the same PostgreSQL as the hub, in a database of its
 * own owned by its own role (as a 前置库 is a separate system the hub only reads). Tables hold the
 * source's field names, text columns (as such exchange tables usually are) and a `gxsj` change
 * stamp, with a (gxsj, key) index for keyset reads.
 */
export async function startFrontDb(adminUrl: string, ctx: DatasetContext, options: FrontDbOptions = {}): Promise<FrontDb> {
  const database = options.database ?? 'huitong_frontdb';
  const role = options.role ?? 'huitong_frontdb';
  const password = options.password ?? 'frontdb';
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_roles where rolname = $1', [role]);
    if (!exists.rows.length) await admin.query(`create role ${ident(role)} login password '${password.replace(/'/g, "''")}'`);
    const db = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (db.rows.length && options.replace) await admin.query(`drop database ${ident(database)} with (force)`);
    if (!db.rows.length || options.replace) await admin.query(`create database ${ident(database)} owner ${ident(role)}`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.username = role;
  u.password = password;
  u.pathname = `/${database}`;
  const url = u.toString();
  const client = new pg.Client(url);
  await client.connect();
  try {
    for (const table of options.tables ?? Object.keys(FRONT_TABLES)) {
      const spec = datasetSpec(FRONT_TABLES[table]);
      const { rows: present } = await client.query('select 1 from information_schema.tables where table_name = $1', [table]);
      if (present.length) continue;
      const sample = spec.record(0, ctx);
      const columns = Object.keys(sample).map((c) => `${ident(c)} ${c === 'gxsj' ? 'timestamptz not null' : 'text'}`);
      await client.query(`create table ${ident(table)} (${columns.join(', ')}, primary key (${spec.key.map(ident).join(', ')}))`);
      await client.query(`create index ${ident(`${table}_change_idx`)} on ${ident(table)} (gxsj, ${spec.key.map(ident).join(', ')})`);
      const total = options.rows ?? 1000;
      for (let start = 0; start < total; start += 5000) {
        const batch = [];
        for (let i = start; i < Math.min(total, start + 5000); i++) {
          const r = spec.record(i, ctx);
          const row = isMalformed(i, options.malformedRate ?? 0, ctx.seed) ? spec.malform(r) : r;
          batch.push(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? null : k === 'gxsj' ? v : String(v)])));
        }
        await client.query(`insert into ${ident(table)} select * from jsonb_populate_recordset(null::${ident(table)}, $1::jsonb)`, [JSON.stringify(batch)]);
      }
    }
  } finally {
    await client.end();
  }
  const writer = new pg.Pool({ connectionString: url, max: 2 });
  // An idle connection lost with the server (a restart) is dropped, not an uncaught error of the hub.
  writer.on('error', () => {});
  return {
    url,
    async change(table, where, patch) {
      if (!(table in FRONT_TABLES)) throw new Error(`no front-end table ${table}`);
      const sets = Object.keys(patch).map((c, i) => `${ident(c)} = $${i + 1}`);
      const conds = Object.keys(where).map((c, i) => `${ident(c)} = $${sets.length + i + 1}`);
      await writer.query(`update ${ident(table)} set ${[...sets, 'gxsj = clock_timestamp()'].join(', ')} where ${conds.join(' and ')}`, [...Object.values(patch), ...Object.values(where)]);
    },
    close: () => writer.end(),
  };
}
