import type pg from 'pg';
import { orderBy, rankColumn, searchConnection, searchPage, type Connection, type SearchOrder } from '../server/connections.js';
import type { ResourceDeclaration } from './declaration.js';

export interface CatalogFilter {
  provider?: string | null;
  class?: string | null;
  sharingType?: string | null;
  sensitivity?: string | null;
  includeRetired?: boolean | null;
}

export interface ResourceRow {
  code: string;
  version: number;
  declaration: ResourceDeclaration;
  retired: boolean;
  updatedAt: string;
}

export const RESOURCE_COLUMNS = `code, version, declaration, retired_at is not null as retired, to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "updatedAt"`;

const likeEscape = (term: string) => term.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Catalogue search: every word of `search` must occur in the resource's names, summary,
 * category or data items (Chinese or English, case-insensitive; a trigram index serves the
 * substring match), best trigram similarity first, then by code; then the filters. Paged by
 * keyset on (similarity, code), like every list of the contract (`server/connections.ts`).
 */
export async function searchResources(
  pool: pg.Pool,
  { search, filter = {} }: { search?: string | null; filter?: CatalogFilter | null },
  args: { first?: number | null; after?: string | null },
): Promise<Connection<ResourceRow>> {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  const terms = (search ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  for (const term of terms) where.push(`search_text like '%' || ${param(likeEscape(term))} || '%'`);
  const f = filter ?? {};
  if (f.provider) where.push(`provider = ${param(f.provider)}`);
  if (f.class) where.push(`class = ${param(f.class)}`);
  if (f.sharingType) where.push(`sharing_type = ${param(f.sharingType)}`);
  if (f.sensitivity) where.push(`${param(f.sensitivity)} = any(sensitivities)`);
  if (!f.includeRetired) where.push('retired_at is null');
  const filtered = [...where];
  const filterParams = [...params];
  // Without search words every resource ranks the same: ordered by code alone.
  const order: SearchOrder = { rank: terms.length ? `similarity(search_text, ${param(terms.join(' '))})` : null, key: 'code' };
  const page = searchPage(args, order, param);
  if (page.condition) where.push(page.condition);
  const { rows } = await pool.query<ResourceRow & { pageRank: number | null }>(
    `select ${RESOURCE_COLUMNS}, ${rankColumn(order)}
     from catalog_resource ${where.length ? `where ${where.join(' and ')}` : ''}
     order by ${orderBy(order)} limit ${page.first + 1}`,
    params,
  );
  const count = async () => {
    const { rows: counted } = await pool.query<{ n: number }>(
      `select count(*)::int n from catalog_resource ${filtered.length ? `where ${filtered.join(' and ')}` : ''}`,
      filterParams,
    );
    return counted[0].n;
  };
  return searchConnection(rows, page.first, order, (r) => r.code, count);
}
