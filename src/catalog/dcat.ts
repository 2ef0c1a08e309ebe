import type pg from 'pg';
import type { ResourceDeclaration } from './declaration.js';

const ACCESS_RIGHTS = {
  unconditional: 'http://publications.europa.eu/resource/authority/access-right/PUBLIC',
  conditional: 'http://publications.europa.eu/resource/authority/access-right/RESTRICTED',
} as const;

const FREQUENCY: Record<string, string> = {
  'real-time': 'UPDATE_CONT',
  daily: 'DAILY',
  weekly: 'WEEKLY',
  monthly: 'MONTHLY',
  quarterly: 'QUARTERLY',
  'half-yearly': 'ANNUAL_2',
  yearly: 'ANNUAL',
  irregular: 'IRREG',
};

const CONTEXT = {
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  skos: 'http://www.w3.org/2004/02/skos/core#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
};

type Row = { declaration: ResourceDeclaration; version: number; updated: string };

/** Current resources shared at all (不予共享 ones are left out), all or the one of `code`. */
async function sharedResources(pool: pg.Pool, code: string | null): Promise<Row[]> {
  const { rows } = await pool.query<Row>(
    `select declaration, version, to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as updated
     from catalog_resource where retired_at is null and sharing_type <> 'none' and ($1::text is null or code = $1) order by code`,
    [code],
  );
  return rows;
}

/** One resource of the public catalogue as a DCAT-AP dataset (what its `@id` URL serves), or null. */
export async function dcatDataset(pool: pg.Pool, baseUrl: string, code: string): Promise<object | null> {
  const [row] = await sharedResources(pool, code);
  return row ? { '@context': CONTEXT, ...datasetOf(row, baseUrl) } : null;
}

/**
 * The public part of the catalogue as a DCAT-AP catalogue in JSON-LD, for harvesting by other
 * catalogues: every current resource that is shared at all, with its metadata and data items'
 * names, never any data. `baseUrl` is the hub's configured public address (`HUITONG_PUBLIC_URL`),
 * never the caller's Host header; every URL in it is served (`/catalog/resources/<code>`, `/graphql`).
 */
export async function dcatCatalog(pool: pg.Pool, baseUrl: string): Promise<object> {
  const rows = await sharedResources(pool, null);
  const dataset = (row: Row) => datasetOf(row, baseUrl);
  return {
    '@context': CONTEXT,
    '@id': `${baseUrl}/catalog/dcat.jsonld`,
    '@type': 'dcat:Catalog',
    'dct:title': [{ '@language': 'zh', '@value': '汇通政务信息资源目录' }, { '@language': 'en', '@value': 'Huitong government information resource catalogue' }],
    'dct:publisher': { '@type': 'foaf:Agent', 'dct:identifier': 'data-bureau' },
    'dcat:dataset': rows.map(dataset),
  };
}

function datasetOf(row: Row, baseUrl: string): object {
  const dataset = ({ declaration: d, version, updated }: Row) => ({
    '@id': `${baseUrl}/catalog/resources/${d.code}`,
    '@type': 'dcat:Dataset',
    'dct:identifier': d.code,
    'dct:title': [{ '@language': 'zh', '@value': d.name }, { '@language': 'en', '@value': d.nameEn }],
    'dct:description': { '@language': 'zh', '@value': d.summary },
    'dct:publisher': { '@type': 'foaf:Agent', 'dct:identifier': d.provider },
    'dcat:theme': { '@type': 'skos:Concept', 'skos:prefLabel': { '@language': 'zh', '@value': d.classification.category }, 'skos:notation': d.classification.class },
    'dcat:keyword': d.items.map((i) => ({ '@language': 'zh', '@value': i.title })),
    'dct:accessRights': { '@id': ACCESS_RIGHTS[d.sharing.type as keyof typeof ACCESS_RIGHTS] },
    ...(d.sharing.conditions ? { 'dct:rights': { '@language': 'zh', '@value': d.sharing.conditions } } : {}),
    'dct:accrualPeriodicity': { '@id': `http://publications.europa.eu/resource/authority/frequency/${FREQUENCY[d.updateCycle] ?? 'UNKNOWN'}` },
    'dct:issued': { '@type': 'xsd:date', '@value': d.publishedAt },
    'dct:modified': { '@type': 'xsd:dateTime', '@value': updated },
    'dcat:version': String(version),
    // A record schema given inline or derived from the items travels with the declaration; its URL is the dataset's.
    'dct:conformsTo': { 'dct:identifier': typeof d.recordSchema === 'string' ? d.recordSchema : `${baseUrl}/catalog/resources/${d.code}#record-schema` },
    'dct:relation': (d.related ?? []).map((code) => ({ '@id': `${baseUrl}/catalog/resources/${code}` })),
    'dcat:distribution': d.sharing.methods.map((method) => ({
      '@type': 'dcat:Distribution',
      'dct:title': `${d.code} (${method})`,
      'dcat:accessURL': { '@id': method === 'query' ? `${baseUrl}/graphql` : `${baseUrl}/catalog/resources/${d.code}` },
      ...(d.format ? { 'dcat:mediaType': d.format } : {}),
      ...(method === 'query' ? { 'dcat:accessService': { '@type': 'dcat:DataService', 'dcat:endpointURL': { '@id': `${baseUrl}/graphql` }, 'dct:conformsTo': { '@id': 'https://spec.graphql.org/' } } } : {}),
    })),
  });
  return dataset(row);
}
