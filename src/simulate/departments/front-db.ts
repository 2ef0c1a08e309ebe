import pg from 'pg';
import { Prng } from '../prng.js';
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
  /**
   * Share of rows stored twice, as an export job run twice leaves them; the tables then have no
   * primary key, as such exchange tables often have not. `HUITONG_SIM_DUPLICATE_RATE` (Default: 0)
   */
  duplicateRate?: number;
  /**
   * Rows stored in shuffled order, and in groups of eight sharing one change stamp, as a batch job
   * stamps what it writes: keyset reads must neither skip nor repeat rows of a tie. `HUITONG_SIM_REORDER` (Default: false)
   */
  reorder?: boolean;
  /** Start down (see `FrontDbSwitches.down`). `HUITONG_SIM_DOWN` (Default: false) */
  down?: boolean;
}

/** The front-end database's run-time switch. */
export interface FrontDbSwitches {
  /**
   * Down: the exchange role may not log in and every session of it is cut, as when the front-end
   * database restarts or its network goes, mid-read included. Switched back, reads work again.
   */
  down: boolean;
}

export interface FrontDb {
  /** URL as the front-end role, for connector definitions (`HUITONG_FRONTDB_URL`). */
  url: string;
  switches: FrontDbSwitches;
  /** Changes the switches (`{ "down": true }`), as `setSimulatorSwitches` does at run time. */
  setSwitches(changes: Record<string, unknown>): Promise<FrontDbSwitches>;
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
      const duplicates = options.duplicateRate ?? 0;
      await client.query(`create table ${ident(table)} (${columns.join(', ')}${duplicates > 0 ? '' : `, primary key (${spec.key.map(ident).join(', ')})`})`);
      await client.query(`create index ${ident(`${table}_change_idx`)} on ${ident(table)} (gxsj, ${spec.key.map(ident).join(', ')})`);
      const total = options.rows ?? 1000;
      // Physical order: shuffled with `reorder`, the stamps then shared by groups of eight.
      const order = Int32Array.from({ length: total }, (_, k) => k);
      if (options.reorder) {
        const rng = new Prng(ctx.seed + 29);
        for (let k = total - 1; k > 0; k--) {
          const j = rng.int(0, k);
          [order[k], order[j]] = [order[j], order[k]];
        }
      }
      for (let start = 0; start < total; start += 5000) {
        const batch = [];
        for (let k = start; k < Math.min(total, start + 5000); k++) {
          const i = order[k];
          const r = frontRecord(spec, i, ctx, options);
          const row = isMalformed(i, options.malformedRate ?? 0, ctx.seed) ? spec.malform(r) : r;
          const stored = Object.fromEntries(Object.entries(row).map(([c, v]) => [c, v === null ? null : c === 'gxsj' ? v : String(v)]));
          batch.push(stored);
          if (isMalformed(i, duplicates, ctx.seed + 1)) batch.push(stored);
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
  const switches: FrontDbSwitches = { down: false };
  const setDown = async (down: boolean) => {
    const a = new pg.Client(adminUrl);
    await a.connect();
    try {
      await a.query(`alter role ${ident(role)} ${down ? 'nologin' : 'login'}`);
      if (down) await a.query('select pg_terminate_backend(pid) from pg_stat_activity where usename = $1 and pid <> pg_backend_pid()', [role]);
    } finally {
      await a.end();
    }
    switches.down = down;
  };
  if (options.down) await setDown(true);
  return {
    url,
    switches,
    async setSwitches(changes) {
      for (const [k, v] of Object.entries(changes)) {
        if (k !== 'down') throw new Error(`unknown switch "${k}" of the front-end database (down; its data switches are set at start: HUITONG_SIM_MALFORMED_RATE, HUITONG_SIM_DUPLICATE_RATE, HUITONG_SIM_REORDER)`);
        if (typeof v !== 'boolean') throw new Error('down: true or false');
      }
      if ('down' in changes) await setDown(changes.down as boolean);
      return { ...switches };
    },
    async change(table, where, patch) {
      if (!(table in FRONT_TABLES)) throw new Error(`no front-end table ${table}`);
      const sets = Object.keys(patch).map((c, i) => `${ident(c)} = $${i + 1}`);
      const conds = Object.keys(where).map((c, i) => `${ident(c)} = $${sets.length + i + 1}`);
      await writer.query(`update ${ident(table)} set ${[...sets, 'gxsj = clock_timestamp()'].join(', ')} where ${conds.join(' and ')}`, [...Object.values(patch), ...Object.values(where)]);
    },
    async close() {
      if (switches.down) await setDown(false).catch(() => {});
      await writer.end();
    },
  };
}

/** Record i as the front-end table holds it: with `reorder`, stamped like the first of its group of eight. */
function frontRecord(spec: ReturnType<typeof datasetSpec>, i: number, ctx: DatasetContext, options: FrontDbOptions) {
  const r = spec.record(i, ctx);
  if (!options.reorder || !('gxsj' in r)) return r;
  return { ...r, gxsj: spec.record(i - (i % 8), ctx).gxsj };
}
