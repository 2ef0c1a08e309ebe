import type pg from 'pg';

/**
 * Runs a bulk load into empty tables with their secondary indexes dropped, and builds them again
 * after, in the caller's transaction: building an index once over loaded rows is several times
 * faster than maintaining it row by row (GiST and trigram indexes most of all). Indexes that back
 * a constraint (primary keys, unique constraints) stay: the load still checks them.
 */
export async function withoutSecondaryIndexes<T>(client: pg.ClientBase, tables: readonly string[], work: () => Promise<T>): Promise<T> {
  const { rows } = await client.query<{ name: string; definition: string }>(
    `select i.indexname as name, i.indexdef as definition
       from pg_indexes i
      where i.schemaname = current_schema() and i.tablename = any($1)
        and not exists (select 1 from pg_constraint c where c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`,
    [tables],
  );
  for (const { name } of rows) await client.query(`drop index ${quoteIdent(name)}`);
  const result = await work();
  for (const { definition } of rows) await client.query(definition);
  return result;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
