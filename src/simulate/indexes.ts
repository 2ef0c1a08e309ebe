import type pg from 'pg';

/**
 * Runs a bulk load into empty tables with their secondary indexes and exclusion constraints
 * dropped, and builds them again after, in the caller's transaction: building an index once over
 * loaded rows is several times faster than maintaining it row by row (GiST and trigram indexes
 * most of all). The versioned tables' `exclude using gist (code with =, tstzrange(…) with &&)`
 * constraints are the costliest: every row was a GiST search and insert. Re-adding one checks
 * every loaded row, so a load that breaks it still fails, only at the end. Indexes that back a
 * primary key or unique constraint stay: the load still checks them as it goes.
 */
export async function withoutSecondaryIndexes<T>(client: pg.ClientBase, tables: readonly string[], work: () => Promise<T>): Promise<T> {
  const { rows } = await client.query<{ name: string; definition: string }>(
    `select i.indexname as name, i.indexdef as definition
       from pg_indexes i
      where i.schemaname = current_schema() and i.tablename = any($1)
        and not exists (select 1 from pg_constraint c where c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`,
    [tables],
  );
  const { rows: exclusions } = await client.query<{ table: string; name: string; definition: string }>(
    `select c.conrelid::regclass::text as table, c.conname as name, pg_get_constraintdef(c.oid) as definition
       from pg_constraint c
      where c.contype = 'x' and c.connamespace = current_schema()::regnamespace and c.conrelid::regclass::text = any($1)`,
    [tables],
  );
  for (const { table, name } of exclusions) await client.query(`alter table ${table} drop constraint ${quoteIdent(name)}`);
  for (const { name } of rows) await client.query(`drop index ${quoteIdent(name)}`);
  const result = await work();
  for (const { definition } of rows) await client.query(definition);
  for (const { table, name, definition } of exclusions) await client.query(`alter table ${table} add constraint ${quoteIdent(name)} ${definition}`);
  return result;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
