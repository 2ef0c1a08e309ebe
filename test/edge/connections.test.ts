import {
  getNamedType, isListType, isNonNullType, isObjectType, type GraphQLObjectType, type GraphQLOutputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MAX_PAGE } from '../../src/server/connections.js';
import { buildSchema } from '../../src/server/index.js';
import { loadDevIssuer } from '../../src/access/index.js';
import { createLookupSources } from '../../src/registries/department/index.js';
import { seedCity } from '../../src/simulate/index.js';
import { startLookupSimulator, type LookupSimulator } from '../../src/simulate/lookups/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { documentFor, reachableFields, type Reached } from './schema-inputs.js';

/**
 * Every connection of the contract, found by walking the schema, passes one conformance test of
 * the Relay cursor connection spec: the shape of its types, and, over real HTTP, the standard
 * `pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`, cursors in the one format
 * (base64url of a JSON array: the keyset position), and a second page that follows the first.
 */
const schema = buildSchema();
const isConnection = (t: GraphQLOutputType) => {
  const named = getNamedType(t);
  return isObjectType(named) && (named.name.endsWith('Connection') || 'pageInfo' in named.getFields());
};
const connections = reachableFields(schema).filter((r) => r.root === 'query' && isConnection(r.field.type));

/** Real values for the arguments of a connection's parents, so that they resolve. */
const KNOWN: Record<string, unknown> = {
  'Query.division.code': '430000',
  'Division.descendants.level': 'county',
  'Query.accessLog.subject': '430000',
  // Well-formed codes; replaced by real ones when the registers hold grids and addresses.
  'Query.grid.code': '431103001001001',
  'Query.address.code': '431103001001000001',
};

const typeString = (t: GraphQLOutputType) => t.toString();

describe('the shape of every connection (Relay cursor connections spec)', () => {
  test('the walk finds the contract\'s connections, nested ones included', () => {
    const names = connections.map((c) => `${c.type.name}.${c.field.name}`);
    expect(names).toEqual(expect.arrayContaining(['Query.catalogResources', 'Query.persons', 'Query.legalEntities', 'Query.accessLog', 'Division.descendants']));
  });

  test.each(connections.map((c) => [`${c.type.name}.${c.field.name}`, c] as const))('%s', (_name, c) => {
    const connection = getNamedType(c.field.type) as GraphQLObjectType;
    const fields = connection.getFields();
    // Arguments: forward paging.
    expect(c.field.args.find((a) => a.name === 'first')?.type.toString()).toBe('Int');
    expect(c.field.args.find((a) => a.name === 'after')?.type.toString()).toBe('String');
    // edges: a non-null list of edges, each with a non-null String cursor and a node.
    expect(isNonNullType(fields.edges?.type) && isListType(fields.edges.type.ofType)).toBe(true);
    const edge = getNamedType(fields.edges.type) as GraphQLObjectType;
    expect(edge.name.endsWith('Edge')).toBe(true);
    expect(typeString(edge.getFields().cursor.type)).toBe('String!');
    expect(edge.getFields().node).toBeDefined();
    // pageInfo: PageInfo! with the four fields of the spec.
    expect(typeString(fields.pageInfo.type)).toBe('PageInfo!');
    const pageInfo = getNamedType(fields.pageInfo.type) as GraphQLObjectType;
    expect(Object.fromEntries(Object.values(pageInfo.getFields()).map((f) => [f.name, typeString(f.type)]))).toEqual({
      hasNextPage: 'Boolean!', hasPreviousPage: 'Boolean!', startCursor: 'String', endCursor: 'String',
    });
  });
});

describe('every connection answers as the spec says, over HTTP', () => {
  let hub: TestHub;
  let lookupSource: LookupSimulator;
  beforeAll(async () => {
    // Department data left at its source is paged like any other list: the source must answer.
    lookupSource = await startLookupSimulator({ latencyMs: 0 });
    hub = await startTestHub({}, { lookups: createLookupSources({ override: { baseUrl: lookupSource.url, timeoutMs: 2_000, ttlMs: 0 } }) });
    // A small city, so that persons, legal entities and the rest have pages to turn.
    await seedCity(hub.owner.pool, { persons: 60, seed: 7 });
    // Grids and addresses of the registers, so that their connections have a parent.
    for (const [table, key] of [['grid', 'Query.grid.code'], ['address', 'Query.address.code']] as const) {
      const { rows } = await hub.db.pool.query<{ code: string }>(`select code from ${table} where valid_to is null order by code limit 1`);
      if (rows[0]) KNOWN[key] = rows[0].code;
    }
    // A person of the city (and the subject of department data left at its source), and a shipped connector.
    const { rows } = await hub.db.pool.query<{ id: string }>(`select id_number as id from person where valid_to is null order by id_number limit 1`);
    for (const key of ['Query.person.idNumber', 'Query.deposits.subject', 'Query.securitiesAccounts.subject']) KNOWN[key] = rows[0].id;
    // A legal entity of the city, for the department data found by an employer's credit code.
    const { rows: entities } = await hub.db.pool.query<{ code: string }>(`select credit_code as code from legal_entity where valid_to is null order by credit_code limit 1`);
    if (entities[0]) KNOWN['Query.legalEntity.creditCode'] = entities[0].code;
    KNOWN['Query.syncRuns.connector'] = [...(hub.services.exchange?.definitions.values() ?? [])].find((d) => d.kind !== 'lookup')?.id;
  });
  afterAll(async () => {
    await hub?.close();
    await lookupSource?.close();
  });

  const caller = () =>
    hub.as('data-bureau', { roles: ['consumer', 'auditor', 'catalog-admin', 'platform-admin'], purpose: 'statistical-analysis', caseNumber: 'EDGE-0003' });

  /** A citizen's own access log answers a citizen's token only; every other list, the department system. */
  const ask = async (name: string, query: string, variables: Record<string, unknown>) => {
    if (name !== 'Query.myAccessLog') return caller().query(query, variables);
    const token = await (await loadDevIssuer(hub.config.dataDir)).signCitizen(String(KNOWN['Query.person.idNumber']), hub.config.jwtAudience);
    return hub.query(query, variables, { authorization: `Bearer ${token}` });
  };

  /** The document for a connection with `first`/`after` and the standard selection. */
  const SELECTION = '{ edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }';
  const pageQuery = (c: Reached, after: string | null) => documentFor(c, { first: 1, ...(after ? { after } : {}) }, { known: KNOWN, selection: SELECTION });

  test('each answers pageInfo in full, and pages on by keyset from its endCursor', async () => {
    const problems: string[] = [];
    const paged: string[] = [];
    for (const c of connections) {
      const name = `${c.type.name}.${c.field.name}`;
      const first = pageQuery(c, null);
      const res = await ask(name, first.query, first.variables);
      if (res.errors?.length) {
        problems.push(`${name}: ${JSON.stringify(res.errors).slice(0, 300)} in ${first.query}`);
        continue;
      }
      const page = dig(res.data);
      if (page === undefined) continue; // a parent that does not exist here (a grid with no code known)
      const { edges, pageInfo } = page;
      const cursors = edges.map((e) => e.cursor);
      if (pageInfo.startCursor !== (cursors[0] ?? null) || pageInfo.endCursor !== (cursors.at(-1) ?? null)) problems.push(`${name}: start/end cursors`);
      if (pageInfo.hasPreviousPage !== false) problems.push(`${name}: hasPreviousPage on a first page`);
      for (const cursor of cursors) if (!Array.isArray(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')))) problems.push(`${name}: cursor ${cursor}`);
      if (!pageInfo.hasNextPage) continue;
      const next = pageQuery(c, pageInfo.endCursor);
      const res2 = await ask(name, next.query, next.variables);
      const page2 = dig(res2.data);
      if (res2.errors?.length || !page2) {
        problems.push(`${name} page 2: ${JSON.stringify(res2.errors).slice(0, 300)}`);
        continue;
      }
      paged.push(name);
      const overlap = page2.edges.filter((e) => cursors.includes(e.cursor));
      if (overlap.length || !page2.edges.length) problems.push(`${name}: page 2 overlaps page 1 or is empty`);
    }
    expect(problems).toEqual([]);
    expect(paged).toEqual(expect.arrayContaining(['Query.catalogResources', 'Query.persons', 'Query.legalEntities', 'Division.descendants']));
  });

  test('catalogResources answers a Relay client\'s standard pageInfo (it once failed on hasPreviousPage)', async () => {
    const res = await caller().query('{ catalogResources(first: 3, search: "人口") { edges { cursor node { code } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }');
    expect(res.errors).toBeUndefined();
    expect(res.data.catalogResources.pageInfo).toMatchObject({ hasPreviousPage: false, startCursor: res.data.catalogResources.edges[0].cursor });
  });

  test('a similarity-ordered search pages by keyset without losing or repeating a row', async () => {
    const all = await caller().query('{ catalogResources(first: 500, search: "人口 population") { totalCount edges { node { code } } } }');
    const codes: string[] = all.data.catalogResources.edges.map((e: { node: { code: string } }) => e.node.code);
    const paged: string[] = [];
    let after: string | null = null;
    do {
      const res: { data?: { catalogResources: { edges: { node: { code: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } } =
        await caller().query('query($after: String) { catalogResources(first: 1, after: $after, search: "人口 population") { edges { node { code } } pageInfo { hasNextPage endCursor } } }', { after });
      paged.push(...res.data!.catalogResources.edges.map((e) => e.node.code));
      after = res.data!.catalogResources.pageInfo.hasNextPage ? res.data!.catalogResources.pageInfo.endCursor : null;
    } while (after);
    expect(paged).toEqual(codes);
    expect(paged.length).toBe(all.data.catalogResources.totalCount);
  });

  test('one page-size limit: first above it is refused on every connection alike', async () => {
    const res = await caller().query(`{ catalogResources(first: ${MAX_PAGE + 1}) { totalCount } }`);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    const persons = await hub.as('civil-affairs', { purpose: 'low-income-verification' }).query(`{ persons(first: ${MAX_PAGE + 1}) { totalCount } }`);
    expect(persons.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
  });

  test('a cursor from another list, or made up, is refused naming `after`', async () => {
    const res = await caller().query('{ catalogResources(first: 1, after: "b2Zmc2V0OjE") { totalCount } }');
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
  });
});

type Page = { edges: { cursor: string }[]; pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null } };

/** The one connection in a response: the first object on the way down with `pageInfo`. */
function dig(value: unknown): Page | undefined {
  if (!value || typeof value !== 'object') return undefined;
  if ('pageInfo' in value) return value as Page;
  for (const v of Object.values(value)) {
    const found = dig(v);
    if (found) return found;
  }
  return undefined;
}

