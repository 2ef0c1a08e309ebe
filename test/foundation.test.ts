import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readConfig } from '../src/config.js';
import { pendingMigrations } from '../src/db/index.js';
import { startTestHub, type TestHub } from './support/hub.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(() => hub?.close());

describe('the exchange answers over HTTP', () => {
  test('GraphQL answers { __typename }', async () => {
    const res = await hub.as('civil-affairs').query('{ __typename }');
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ __typename: 'Query' });
  });

  test('the registered departments include those the design names', async () => {
    const res = await hub.as('civil-affairs').query<{ hub: { departments: { code: string }[]; purposes: { code: string; legalBasis: string }[] } }>(
      '{ hub { departments { code } purposes { code legalBasis } } }',
    );
    const codes = res.data!.hub.departments.map((d) => d.code);
    expect(codes).toEqual(expect.arrayContaining(['data-bureau', 'civil-affairs', 'public-security', 'statistics', 'financial-institutions']));
    expect(res.data!.hub.purposes.find((p) => p.code === 'low-income-verification')?.legalBasis).toMatch(/社会救助暂行办法/);
  });

  test('/healthz says the process is alive', async () => {
    const res = await fetch(`${hub.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  test('/readyz says the database is reachable and migrations are current', async () => {
    expect(await pendingMigrations(hub.db)).toEqual([]);
    const res = await fetch(`${hub.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
  });

  test('a syntax error is a 400 with a GraphQL error, not a crash', async () => {
    const res = await hub.as('civil-affairs').query('{ hub { ');
    expect(res.status).toBe(400);
    expect(res.errors?.[0].message).toMatch(/Syntax Error/);
  });
});

describe('configuration', () => {
  test('defaults are sane: port 4000, embedded database, demo data and development issuer on', () => {
    const config = readConfig({});
    expect(config).toMatchObject({ port: 4000, databaseUrl: null, loadDemo: true, devIssuer: true, mode: 'development' });
  });

  test('an external database turns off the demo data and the development issuer by default', () => {
    const config = readConfig({ DATABASE_URL: 'postgres://u:p@db.example:5432/huitong' });
    expect(config).toMatchObject({ loadDemo: false, devIssuer: false });
  });

  test('every problem is reported at once', () => {
    let message = '';
    try {
      readConfig({ PORT: 'eighty', HUITONG_MODE: 'staging', DATABASE_URL: 'mysql://x' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('PORT: "eighty" is not a whole number');
    expect(message).toContain('HUITONG_MODE: "staging" is not one of: development, production');
    expect(message).toContain('DATABASE_URL: must start with postgres://');
  });
});
