import type pg from 'pg';

/** One record ready to apply: validated and mapped, with its keys. */
export interface ApplyRecord {
  /** The hub's key of the record (its key fields' values, `|`-joined). */
  key: string;
  /** The record's key at its source (the same text: the key fields are the source's). */
  sourceKey: string;
  record: Record<string, unknown>;
  subject: string | null;
}

export interface ApplyContext {
  resourceCode: string;
  resourceVersion: string;
  sourceSystem: string;
  fetchedAt: Date;
}

/** Keys a batch created (first version) and changed (a new version); every other record was unchanged. */
export interface Applied {
  created: number;
  changed: number;
}

/** Where a resource's records are kept: a base-library table, or `department_record`. */
export interface Target {
  readonly table: string;
  /** The column naming a version's subject (kept with a deletion, for the data tracker). */
  readonly subjectColumn: string;
  apply(client: pg.ClientBase, batch: ApplyRecord[], ctx: ApplyContext): Promise<Applied>;
  /** Current records by key, for reconciliation tests and the bench: key → record as mapped. */
  current?(client: pg.ClientBase, resourceCode: string): Promise<Map<string, Record<string, unknown>>>;
}

/**
 * Department data that is not a base library: one versioned table keyed by (resource, record
 * key), the mapped record as `payload`. A batch is one statement, whatever its size: the batch is
 * sent and parsed once, the current version of each key is found by one index probe, those that
 * differ are closed, and a version is inserted for the new and the changed. An unchanged record is
 * only compared, never rewritten.
 *
 * Why `limit 1` in the probe: without it the planner flattens the lateral subquery into a join,
 * and with the statistics of a table that was small when last analysed it then reads every
 * current row of the resource (a bitmap scan) to hash-join them with the batch, a cost that grows
 * with the table (measured: 46 ms per 5,000-record batch on an empty table, 225 ms at 200,000
 * rows, 450 ms at 200,000 on re-sync). A subquery with a limit is never flattened, so each key
 * is one probe of the unique current-version index (about 12 µs) at any size.
 *
 * Why `(select count(*) from closed)` in the insert: it makes the closing of the changed versions
 * run to completion before the first new version is inserted, so the unique index of current
 * versions never sees two current versions of a key.
 */
export const departmentRecordTarget: Target = {
  table: 'department_record',
  subjectColumn: 'subject',
  async apply(client, batch, ctx) {
    const { rows } = await client.query<{ changed: number; written: number }>(
      `with i as materialized (select * from jsonb_to_recordset($2::jsonb) as i(k text, s text, sk text, p jsonb)),
       cur as materialized (
         select i.k, d.version_id, d.payload = i.p as same from i
         cross join lateral (select version_id, payload from department_record d
                             where d.resource_code = $1 and d.record_key = i.k and d.valid_to is null limit 1) d),
       closed as (
         update department_record set valid_to = now()
         where version_id = any (array(select version_id from cur where not same)) returning 1),
       ins as (
         insert into department_record (resource_code, record_key, subject, payload, source_system, source_key, resource_version, fetched_at, valid_from)
         select $1, i.k, i.s, i.p, $3, i.sk, $4, $5, now() from i
         where not exists (select 1 from cur where cur.k = i.k and cur.same) and (select count(*) from closed) >= 0
         returning 1)
       select (select count(*) from closed)::int as changed, (select count(*) from ins)::int as written`,
      [ctx.resourceCode, JSON.stringify(batch.map((r) => ({ k: r.key, s: r.subject, sk: r.sourceKey, p: r.record }))), ctx.sourceSystem, ctx.resourceVersion, ctx.fetchedAt],
    );
    const { changed, written } = rows[0];
    return { changed, created: written - changed };
  },
  async current(client, resourceCode) {
    const { rows } = await client.query<{ record_key: string; payload: Record<string, unknown> }>(
      'select record_key, payload from department_record where resource_code = $1 and valid_to is null',
      [resourceCode],
    );
    return new Map(rows.map((r) => [r.record_key, r.payload]));
  },
};

/** A base-library column fed from a record field: its PostgreSQL type, and how it is built when not a plain copy. */
interface Column {
  field: string;
  column: string;
  type: string;
  /** SQL building the value from the incoming row `i` (e.g. a point from lng/lat). (Default: `i.<field>`) */
  expr?: string;
}

/** A base library fed by connectors: its table, the key columns and the state columns. */
interface LibrarySpec {
  table: string;
  key: Column[];
  state: Column[];
  /** Record fields the incoming row carries besides the columns' own (inputs of `expr`), with their types. */
  inputs?: [string, string][];
}

const col = (field: string, column: string, type: string, expr?: string): Column => ({ field, column, type, expr });

/** Base libraries that connectors feed, by catalogue resource. Names come from here, never from input. */
const LIBRARIES: Record<string, LibrarySpec> = {
  'population.person': {
    table: 'person',
    key: [col('idNumber', 'id_number', 'text')],
    state: [
      col('name', 'name', 'text'), col('formerNames', 'former_names', 'text[]', `coalesce(i."formerNames", '{}')`), col('gender', 'gender', 'text'),
      col('birthDate', 'birth_date', 'date'), col('ethnicity', 'ethnicity', 'text'), col('residenceDivisionCode', 'residence_division', 'text'),
      col('address', 'address', 'text'), col('maritalStatus', 'marital_status', 'text'), col('status', 'status', 'text'),
      col('householdNumber', 'household_number', 'text'), col('relationToHead', 'relation_to_head', 'text'),
    ],
  },
  'population.household': {
    table: 'household',
    key: [col('number', 'number', 'text')],
    state: [col('headIdNumber', 'head_id_number', 'text'), col('address', 'address', 'text'), col('divisionCode', 'division_code', 'text')],
  },
  'legal-entity.entity': {
    table: 'legal_entity',
    key: [col('creditCode', 'credit_code', 'text')],
    state: [
      col('name', 'name', 'text'), col('kind', 'kind', 'text'), col('representativeIdNumber', 'representative_id_number', 'text'),
      col('registeredCapital', 'registered_capital', 'numeric(18,2)'), col('establishedOn', 'established_on', 'date'), col('status', 'status', 'text'),
      col('address', 'address', 'text'), col('divisionCode', 'division_code', 'text'), col('industryCode', 'industry_code', 'text'),
      col('businessScope', 'business_scope', 'text'),
    ],
  },
  'property.unit': {
    table: 'property_unit',
    key: [col('unitNumber', 'unit_number', 'text')],
    state: [
      col('kind', 'kind', 'text'), col('usage', 'usage', 'text'), col('floorArea', 'floor_area', 'numeric(10,2)'),
      col('address', 'address', 'text'), col('divisionCode', 'division_code', 'text'),
    ],
  },
  'city-component.component': {
    table: 'city_component',
    key: [col('code', 'code', 'text')],
    state: [
      col('subclass', 'category', 'text', 'left(i.subclass, 2)'), col('subclass', 'subclass', 'text'), col('name', 'name', 'text'),
      col('divisionCode', 'division_code', 'text'), col('gridCode', 'grid_code', 'text'), col('addressCode', 'address_code', 'text'),
      col('lng', 'location', 'point', 'point(i.lng, i.lat)'), col('ownerDepartment', 'owner_department', 'text'),
      col('maintenanceUnit', 'maintenance_unit', 'text'), col('status', 'status', 'text'), col('lastInspectedOn', 'last_inspected_on', 'date'),
    ],
    inputs: [['lat', 'float8'], ['lng', 'float8']],
  },
};

/**
 * A base library as a target: the same two statements as `department_record`, over typed
 * columns. States are compared as text after casting the incoming value to the column's type
 * (some types, point, have no `=`; numeric(10,2) must compare 12.5 with 12.50 as equal).
 */
function libraryTarget(spec: LibrarySpec): Target {
  const all = [...spec.key, ...spec.state];
  const seen = new Set<string>();
  const recordset = [...all.map((c) => [c.field, c.type === 'point' ? null : c.type] as const), ...(spec.inputs ?? [])]
    .filter(([field, type]) => type !== null && !seen.has(field) && seen.add(field))
    .map(([field, type]) => `"${field}" ${type}`)
    .concat(['"__k" text', '"__sk" text'])
    .join(', ');
  const value = (c: Column) => c.expr ?? `i."${c.field}"`;
  if (spec.key.length !== 1) throw new Error(`${spec.table}: one key column is supported`);
  const key = spec.key[0];
  const differs = spec.state.map((c) => `t.${c.column}::text is distinct from (${value(c)})::${c.type}::text`).join(' or ');
  const columns = all.map((c) => c.column);
  // As for department_record: the current version of each key by one probe of its unique
  // current-version index (`limit 1` keeps the planner from turning it into a scan of the table).
  const compareSql = `select t.version_id, i."__k" as k, not (${differs}) as same
    from jsonb_to_recordset($1::jsonb) as i(${recordset})
    cross join lateral (select * from ${spec.table} t where t.${key.column} = ${value(key)} and t.valid_to is null limit 1) t`;
  const insertSql = `insert into ${spec.table} (${columns.join(', ')}, source_system, source_key, resource_code, resource_version, fetched_at, valid_from)
    select ${all.map(value).join(', ')}, $2, i."__sk", $3, $4, $5, now() from jsonb_to_recordset($1::jsonb) as i(${recordset})`;
  return {
    table: spec.table,
    subjectColumn: key.column,
    async apply(client, batch, ctx) {
      const rowOf = (r: ApplyRecord) => ({ ...r.record, __k: r.key, __sk: r.sourceKey });
      const { rows: current } = await client.query<{ version_id: string; k: string; same: boolean }>(compareSql, [JSON.stringify(batch.map(rowOf))]);
      const held = new Map(current.map((r) => [r.k, r]));
      const differing = current.filter((r) => !r.same).map((r) => r.version_id);
      if (differing.length) await client.query(`update ${spec.table} set valid_to = now() where version_id = any($1::bigint[])`, [differing]);
      const writes = batch.filter((r) => !held.get(r.key)?.same);
      if (writes.length) await client.query(insertSql, [JSON.stringify(writes.map(rowOf)), ctx.sourceSystem, ctx.resourceCode, ctx.resourceVersion, ctx.fetchedAt]);
      return { changed: differing.length, created: writes.length - differing.length };
    },
  };
}

const libraryTargets = new Map(Object.entries(LIBRARIES).map(([code, spec]) => [code, libraryTarget(spec)]));

/** The target of a resource: its base library's table if connectors feed one, `department_record` otherwise. */
export function targetFor(resourceCode: string, classification: string | null): Target {
  const library = libraryTargets.get(resourceCode);
  if (library) return library;
  if (classification === 'base') throw new Error(`${resourceCode} is a base library no connector target writes yet`);
  return departmentRecordTarget;
}

export const BASE_LIBRARY_TARGETS: readonly string[] = Object.keys(LIBRARIES);
