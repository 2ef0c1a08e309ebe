import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub.js';

const PURPOSE = { purpose: 'statistical-analysis', caseNumber: 'TJ-2026-100' };

describe('operation limits', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(() => hub?.close());

  test('a depth bomb is refused before anything runs', async () => {
    const bomb = `{ division(code: "430000") { ${'children { '.repeat(12)}code${' }'.repeat(12)} } }`;
    const res = await hub.as('statistics', PURPOSE).query(bomb);
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'max-depth' });
    // Nothing ran: the only entry is the refusal, with nothing read.
    expect((await hub.db.pool.query('select outcome, resources from audit_entry')).rows).toEqual([{ outcome: 'refused:BAD_USER_INPUT:max-depth', resources: [] }]);
  });

  test('an alias bomb is refused', async () => {
    const bomb = `{ ${Array.from({ length: 50 }, (_, i) => `d${i}: division(code: "431103") { name }`).join(' ')} }`;
    const res = await hub.as('statistics', PURPOSE).query(bomb);
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'max-aliases' });
  });

  test('a document of too many tokens is refused', async () => {
    const res = await hub.as('statistics').query(`{ ${'__typename '.repeat(2500)}}`);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'max-tokens' });
  });

  test('an oversized body is refused with 413', async () => {
    const headers = { 'content-type': 'application/json', ...(await hub.as('statistics').headers()) };
    const res = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: `{ __typename }`, variables: { padding: 'x'.repeat(200_000) } }),
    });
    expect(res.status).toBe(413);
    expect((await res.json()).errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'body-too-large' });
  });

  test('field suggestions are hidden', async () => {
    const res = await hub.as('statistics').query('{ hub { nam } }');
    expect(res.errors?.[0].message).not.toMatch(/Did you mean/);
  });

  test('a simple cross-site request without authorization or CSRF header is refused', async () => {
    const res = await fetch(`${hub.url}/graphql?query=${encodeURIComponent('{ __typename }')}`);
    expect(res.status).toBe(403);
  });

  test('GraphiQL is served in development, without a token (the token goes in its Headers tab)', async () => {
    const res = await fetch(`${hub.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toMatch(/graphiql/i);
    // Everything it needs comes from the hub: it works on a network with no way out.
    expect(page).not.toMatch(/<(script|link)[^>]+(src|href)=["']?https?:/i);
    expect(page).toContain('x-purpose');
  });

  test('introspection is available in development', async () => {
    const res = await hub.as('statistics').query('{ __schema { queryType { name } } }');
    expect(res.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });
});

describe('the cost limit counts what an operation can return, however it is written', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(() => hub?.close());

  const caller = () => hub.as('statistics', PURPOSE);
  const refusedForCost = (res: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }) => {
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'max-cost', limit: 20_000 });
    // The message says what happened and what to do.
    expect(res.errors?.[0].message).toMatch(/^Query cost [\d,]+ exceeds the limit of 20,000: ask for fewer records \(a smaller `first`\) or fewer nested lists/);
  };
  const PAGES_OF_PAGES = (a: string, b: string) =>
    `division(code: "431100") { descendants(level: village, first: ${a}) { edges { node { code addresses(first: ${b}) { edges { node { code fullText } } } } } } }`;
  const UNPAGED = (first: string) =>
    `persons(first: ${first}) { edges { node { name household { members { name household { members { name } } } } } } }`;

  test('pages of pages are refused with literal `first`', async () => {
    refusedForCost(await caller().query(`{ ${PAGES_OF_PAGES('500', '500')} }`));
  });

  test('... and the same document with `first` from variables', async () => {
    refusedForCost(await caller().query(`query Bomb($a: Int, $b: Int) { ${PAGES_OF_PAGES('$a', '$b')} }`, { a: 500, b: 500 }));
  });

  test('... and with `first` from the variables\' defaults', async () => {
    refusedForCost(await caller().query(`query Bomb($a: Int = 500, $b: Int = 500) { ${PAGES_OF_PAGES('$a', '$b')} }`));
  });

  test('unpaged lists (members of households of members) count, literally and through variables', async () => {
    refusedForCost(await caller().query(`{ ${UNPAGED('100')} }`));
    refusedForCost(await caller().query(`query Bomb($n: Int) { ${UNPAGED('$n')} }`, { n: 100 }));
  });

  test('a list argument counts its length', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `43110219800101${String(i).padStart(4, '0')}`);
    const doc = `query Many($ids: [String!]!) { personsByIdNumbers(idNumbers: $ids) { name household { members { name household { members { name } } } } } }`;
    refusedForCost(await caller().query(doc, { ids }));
    const few = await caller().query(doc, { ids: ids.slice(0, 1) });
    expect(few.errors?.find((e) => e.extensions?.reason === 'max-cost')).toBeUndefined();
  });

  test('a cost remembered for one document is remembered per variables: numbers, lengths and @include flags each count', async () => {
    const doc = `query Bomb($a: Int, $b: Int, $deep: Boolean!) { division(code: "431100") { descendants(level: village, first: $a) {
      edges { node { code addresses(first: $b) @include(if: $deep) { edges { node { code } } } } } } } }`;
    const passes = async (variables: Record<string, unknown>) =>
      expect((await caller().query(doc, variables)).errors?.find((e) => e.extensions?.reason === 'max-cost')).toBeUndefined();
    await passes({ a: 10, b: 10, deep: true });
    refusedForCost(await caller().query(doc, { a: 500, b: 500, deep: true }));
    await passes({ a: 500, b: 500, deep: false });
    refusedForCost(await caller().query(doc, { a: 500, b: 500, deep: true }));
    await passes({ a: 10, b: 10, deep: true });
  });

  test('one full page of records passes, and small pages of pages do too', async () => {
    const page = await caller().query(`query Page($n: Int) { division(code: "431100") { descendants(level: village, first: $n) { edges { node { code name level } } } } }`, { n: 500 });
    expect(page.errors).toBeUndefined();
    expect(page.data.division.descendants.edges.length).toBeGreaterThan(100);
    const small = await caller().query(`query Small($a: Int, $b: Int) { ${PAGES_OF_PAGES('$a', '$b')} }`, { a: 10, b: 10 });
    expect(small.errors).toBeUndefined();
  });
});

describe('production mode', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ HUITONG_MODE: 'production' });
  });
  afterAll(() => hub?.close());

  test('introspection is off', async () => {
    const res = await hub.as('statistics').query('{ __schema { queryType { name } } }');
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.length).toBeGreaterThan(0);
  });

  test('GraphiQL is not served', async () => {
    const res = await fetch(`${hub.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await res.text()).not.toMatch(/graphiql/i);
  });

  test('an unexpected failure carries no stack trace and no SQL', async () => {
    await hub.owner.pool.query('alter table division rename to division_away');
    try {
      const res = await hub.as('statistics', PURPOSE).query('{ division(code: "431103") { name } }');
      const text = JSON.stringify(res.errors);
      expect(res.errors?.length).toBeGreaterThan(0);
      expect(text).not.toMatch(/division_away|relation|select|stack|at .*\.ts/i);
    } finally {
      await hub.owner.pool.query('alter table division_away rename to division');
    }
  });
});

describe('rate limits per department system', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ HUITONG_RATE_LIMIT_PER_MINUTE: '5' });
  });
  afterAll(() => hub?.close());

  test('a system past its limit is RATE_LIMITED with Retry-After, and other systems are not', async () => {
    const busy = hub.as('statistics', { system: 'tj-busy' });
    for (let i = 0; i < 5; i++) expect((await busy.query('{ __typename }')).errors).toBeUndefined();
    const refused = await busy.query('{ __typename }');
    expect(refused.status).toBe(429);
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect((await hub.as('statistics', { system: 'tj-quiet' }).query('{ __typename }')).errors).toBeUndefined();
  });
});

describe('persisted operations only', () => {
  let hub: TestHub;
  beforeAll(async () => {
    const manifest = path.join(tmpdir(), `huitong-persisted-${process.pid}.json`);
    await writeFile(manifest, JSON.stringify({ typename1: '{ __typename }' }));
    hub = await startTestHub({ HUITONG_PERSISTED_OPERATIONS: manifest });
  });
  afterAll(() => hub?.close());

  test('a persisted operation runs by its id, and any other document is refused', async () => {
    const headers = { 'content-type': 'application/json', ...(await hub.as('statistics').headers()) };
    const byId = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'typename1' } } }),
    });
    expect(await byId.json()).toEqual({ data: { __typename: 'Query' } });
    const arbitrary = await hub.as('statistics').query('{ __typename }');
    expect(arbitrary.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'persisted-only' });
  });
});
