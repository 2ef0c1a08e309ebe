import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadDevIssuer } from '../../src/access/index.js';
import { readConfig } from '../../src/config.js';
import { connectDatabase, type Database } from '../../src/db/index.js';
import { createLogger } from '../../src/log.js';
import { serveHub, type RunningHub } from '../../src/main.js';
import { createTestDatabase } from '../support/hub.js';

const DIVISION = 'query Lookup($code: ID!) { division(code: $code) { code name } }';

/** A Prometheus text exposition as { 'name{labels}': value }. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    samples.set(match[1], Number(match[2]));
  }
  return samples;
}

/** Hub instances on one database and one data directory, as several copies behind a load balancer. */
async function instances(count: number, env: Record<string, string>) {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'huitong-metrics-'));
  const config = {
    ...readConfig({ DATABASE_URL: database.runtimeUrl, DATABASE_OWNER_URL: database.url, HUITONG_DATA_DIR: dataDir, HUITONG_DEV_ISSUER: 'true', LOG_LEVEL: 'silent', ...env }),
    port: 0,
  };
  const hubs: { db: Database; hub: RunningHub }[] = [];
  for (let i = 0; i < count; i++) {
    const db = await connectDatabase(database.runtimeUrl, { poolMax: 4, logger: createLogger('silent') });
    hubs.push({ db, hub: await serveHub(config, createLogger('silent'), db) });
  }
  const token = await (await loadDevIssuer(dataDir)).sign({ department: 'statistics', system: 'tj-platform', roles: ['consumer'] }, 'huitong');
  const lookUp = async (i: number) => {
    const res = await fetch(`${hubs[i].hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': 'statistical-analysis', 'x-case-number': 'TJ-1' },
      body: JSON.stringify({ query: DIVISION, variables: { code: '431103' } }),
    });
    const body = (await res.json()) as { errors?: { extensions: { code: string } }[] };
    return { status: res.status, code: body.errors?.[0]?.extensions.code ?? 'ok' };
  };
  return {
    hubs,
    lookUp,
    metrics: async (i: number) => {
      const res = await fetch(`${hubs[i].hub.url}/metrics`);
      expect(res.headers.get('content-type')).toContain('text/plain');
      return parseMetrics(await res.text());
    },
    async close() {
      for (const { hub, db } of hubs) {
        await hub.close();
        await db.close();
      }
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

describe('/metrics', () => {
  let set: Awaited<ReturnType<typeof instances>>;
  beforeAll(async () => {
    set = await instances(1, {});
  });
  afterAll(() => set?.close());

  test('counts requests by operation and outcome with latency, audit entries and batches, pool use, token-cache hits and catalogue reloads', async () => {
    for (let i = 0; i < 3; i++) expect((await set.lookUp(0)).code).toBe('ok');
    const m = await set.metrics(0);
    expect(m.get('huitong_graphql_request_duration_seconds_count{operation="Lookup",outcome="ok"}')).toBe(3);
    expect(m.get('huitong_graphql_request_duration_seconds_bucket{le="+Inf",operation="Lookup",outcome="ok"}')).toBe(3);
    expect(m.get('huitong_audit_entries_total')).toBe(3);
    expect(m.get('huitong_audit_batch_entries_count')).toBeGreaterThanOrEqual(1);
    expect(m.get('huitong_audit_flush_seconds_count{outcome="ok"}')).toBeGreaterThanOrEqual(1);
    expect(m.get('huitong_token_cache_hits_total')).toBe(2);
    expect(m.get('huitong_token_cache_misses_total')).toBe(1);
    expect(m.get('huitong_catalog_reloads_total')).toBeGreaterThanOrEqual(1);
    expect(m.get('huitong_db_pool_connections{state="total"}')).toBeGreaterThanOrEqual(1);
    expect(m.get('huitong_db_pool_max')).toBe(4);
    expect(m.get('huitong_process_heap_size_total_bytes') ?? m.get('huitong_process_nodejs_heap_size_total_bytes')).toBeGreaterThan(0);
  });

  test('a refused request counts under its code', async () => {
    const res = await fetch(`${set.hubs[0].hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer nonsense' },
      body: JSON.stringify({ query: DIVISION, variables: { code: '431103' } }),
    });
    expect(res.status).toBe(401);
    const m = await set.metrics(0);
    expect([...m.keys()].some((k) => k.startsWith('huitong_graphql_request_duration_seconds_count{') && k.includes('outcome="UNAUTHENTICATED"'))).toBe(true);
  });
});

describe('rate limits shared by several hub instances', () => {
  test('with HUITONG_RATE_LIMIT_STORE=postgres two instances count against one limit', async () => {
    const set = await instances(2, { HUITONG_RATE_LIMIT_STORE: 'postgres', HUITONG_RATE_LIMIT_PER_MINUTE: '5' });
    try {
      const answers = [];
      for (let i = 0; i < 6; i++) answers.push(await set.lookUp(i % 2));
      expect(answers.map((a) => a.code)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'RATE_LIMITED']);
      expect(answers[5].status).toBe(429);
      expect((await set.metrics(1)).get('huitong_rate_limit_refusals_total{department="statistics"}')).toBe(1);
    } finally {
      await set.close();
    }
  });

  test('by default each instance counts its own', async () => {
    const set = await instances(2, { HUITONG_RATE_LIMIT_PER_MINUTE: '5' });
    try {
      const answers = [];
      for (let i = 0; i < 8; i++) answers.push(await set.lookUp(i % 2));
      expect(answers.every((a) => a.code === 'ok')).toBe(true);
    } finally {
      await set.close();
    }
  });
});
