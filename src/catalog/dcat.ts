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

/**
 * The public part of the catalogue as a DCAT-AP catalogue in JSON-LD, for harvesting by other
 * catalogues: every current resource that is shared at all (不予共享 ones are left out), with its
 * metadata and data items' names, never any data. `baseUrl` is the hub's public address.
 */
export async function dcatCatalog(pool: pg.Pool, baseUrl: string): Promise<object> {
  const { rows } = await pool.query<{ declaration: ResourceDeclaration; version: number; updated: string }>(
    `select declaration, version, to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as updated
     from catalog_resource where retired_at is null and sharing_type <> 'none' order by code`,
  );
  const dataset = ({ declaration: d, version, updated }: (typeof rows)[number]) => ({
    '@id': `${baseUrl}/catalog/resources/${d.code}`,
    '@type': 'dcat:Dataset',
    'dct:identifier': d.code,
    'dct:title': [{ '@language': 'zh', '@value': d.name }, { '@language': 'en', '@value': d.nameEn }],
    'dct:description': { '@language': 'zh', '@value': d.summary },
    'dct:publisher': { '@id': `${baseUrl}/catalog/departments/${d.provider}`, '@type': 'foaf:Agent', 'dct:identifier': d.provider },
    'dcat:theme': { '@type': 'skos:Concept', 'skos:prefLabel': { '@language': 'zh', '@value': d.classification.category }, 'skos:notation': d.classification.class },
    'dcat:keyword': d.items.map((i) => ({ '@language': 'zh', '@value': i.title })),
    'dct:accessRights': { '@id': ACCESS_RIGHTS[d.sharing.type as keyof typeof ACCESS_RIGHTS] },
    ...(d.sharing.conditions ? { 'dct:rights': { '@language': 'zh', '@value': d.sharing.conditions } } : {}),
    'dct:accrualPeriodicity': { '@id': `http://publications.europa.eu/resource/authority/frequency/${FREQUENCY[d.updateCycle] ?? 'UNKNOWN'}` },
    'dct:issued': { '@type': 'xsd:date', '@value': d.publishedAt },
    'dct:modified': { '@type': 'xsd:dateTime', '@value': updated },
    'dcat:version': String(version),
    'dct:conformsTo': { '@id': `${baseUrl}/${d.recordSchema}` },
    'dct:relation': (d.related ?? []).map((code) => ({ '@id': `${baseUrl}/catalog/resources/${code}` })),
    'dcat:distribution': d.sharing.methods.map((method) => ({
      '@type': 'dcat:Distribution',
      'dct:title': `${d.code} (${method})`,
      'dcat:accessURL': { '@id': method === 'query' ? `${baseUrl}/graphql` : `${baseUrl}/catalog/resources/${d.code}` },
      ...(d.format ? { 'dcat:mediaType': d.format } : {}),
      ...(method === 'query' ? { 'dcat:accessService': { '@type': 'dcat:DataService', 'dcat:endpointURL': { '@id': `${baseUrl}/graphql` }, 'dct:conformsTo': { '@id': 'https://spec.graphql.org/' } } } : {}),
    })),
  });
  return {
    '@context': {
      dcat: 'http://www.w3.org/ns/dcat#',
      dct: 'http://purl.org/dc/terms/',
      foaf: 'http://xmlns.com/foaf/0.1/',
      skos: 'http://www.w3.org/2004/02/skos/core#',
      xsd: 'http://www.w3.org/2001/XMLSchema#',
    },
    '@id': `${baseUrl}/catalog/dcat.jsonld`,
    '@type': 'dcat:Catalog',
    'dct:title': [{ '@language': 'zh', '@value': '汇通政务信息资源目录' }, { '@language': 'en', '@value': 'Huitong government information resource catalogue' }],
    'dct:publisher': { '@type': 'foaf:Agent', 'dct:identifier': 'data-bureau' },
    'dcat:dataset': rows.map(dataset),
  };
}
