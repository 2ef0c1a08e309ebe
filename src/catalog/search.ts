import type pg from 'pg';
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
 * substring match), best trigram similarity first; then the filters. Offset paging.
 */
export async function searchResources(
  pool: pg.Pool,
  { search, filter = {}, first, offset }: { search?: string | null; filter?: CatalogFilter | null; first: number; offset: number },
): Promise<{ rows: ResourceRow[]; total: number }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  const terms = (search ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  for (const term of terms) add((p) => `search_text like '%' || ${p} || '%'`, likeEscape(term));
  const f = filter ?? {};
  if (f.provider) add((p) => `provider = ${p}`, f.provider);
  if (f.class) add((p) => `class = ${p}`, f.class);
  if (f.sharingType) add((p) => `sharing_type = ${p}`, f.sharingType);
  if (f.sensitivity) add((p) => `${p} = any(sensitivities)`, f.sensitivity);
  if (!f.includeRetired) where.push('retired_at is null');
  params.push(terms.join(' '));
  const rank = `similarity(search_text, $${params.length})`;
  params.push(first, offset);
  const { rows } = await pool.query<ResourceRow & { total: number }>(
    `select ${RESOURCE_COLUMNS}, count(*) over ()::int as total
     from catalog_resource ${where.length ? `where ${where.join(' and ')}` : ''}
     order by ${rank} desc, code limit $${params.length - 1} offset $${params.length}`,
    params,
  );
  return { rows, total: rows[0]?.total ?? (await countAll()) };

  async function countAll() {
    const { rows: counted } = await pool.query<{ n: number }>(
      `select count(*)::int n from catalog_resource ${where.length ? `where ${where.join(' and ')}` : ''}`,
      params.slice(0, -3),
    );
    return counted[0].n;
  }
}
