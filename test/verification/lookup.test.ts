import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { departmentLookupSource, isUnavailable, type QueryTimeLookups } from '../../src/verification/sources.js';

/**
 * Item 12 through query-time lookup sources shaped like the department registry's (a route per
 * resource, `/deposits/{subject}` and `/securities/{subject}`), against a real HTTP server.
 */
let server: Server;
let base = '';
let down = false;
const deposits: Record<string, unknown[]> = {
  A: [{ balance: 1000.5, kind: 'current' }, { balance: 2000, kind: 'wealth' }],
  B: [],
  C: [{ kind: 'current' }],
};
beforeAll(async () => {
  server = createServer((req, res) => {
    const m = /^\/(deposits|securities)\/(\w+)$/.exec(req.url ?? '');
    if (!m || down) return void res.writeHead(503).end();
    const records = m[1] === 'deposits' ? (deposits[m[2]] ?? []) : m[2] === 'A' ? [{ marketValue: 300 }] : [];
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ records }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const lookups: QueryTimeLookups = {
  forResource: (resource) => ({
    name: 'financial-institutions/financial-regulator-lookup',
    definition: { baseUrl: base },
    async lookup(_r: string, subject: string) {
      const res = await fetch(`${base}/${resource.endsWith('deposit') ? 'deposits' : 'securities'}/${subject}`);
      if (!res.ok) return { ok: false as const, reason: 'error', detail: `HTTP ${res.status}` };
      return { ok: true as const, records: ((await res.json()) as { records: Record<string, unknown>[] }).records, fetchedAt: new Date().toISOString() };
    },
  }),
};
const source = () => departmentLookupSource(lookups, 'financial-institutions.deposit', 'financial-institutions.securities');

test('deposits, wealth products and securities per member; none is zero only when the source says so', async () => {
  const g = await source().gather(['A', 'B'], null);
  if (isUnavailable(g)) throw new Error(g.reason);
  expect(g.value).toEqual({ A: { deposits: 1000.5, wealthProducts: 2000, securities: 300 }, B: { deposits: 0, wealthProducts: 0, securities: 0 } });
  expect(g.system).toBe('financial-institutions/financial-regulator-lookup');
});

test('a record without its number, or a source down, is UNAVAILABLE', async () => {
  const bad = await source().gather(['A', 'C'], null);
  expect(isUnavailable(bad) && bad.reason).toMatch(/without balance/);
  down = true;
  try {
    const g = await source().gather(['A'], null);
    expect(isUnavailable(g) && g.reason).toMatch(/HTTP 503/);
  } finally {
    down = false;
  }
});
