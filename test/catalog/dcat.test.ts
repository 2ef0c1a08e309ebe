import { request } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub.js';

const PUBLIC = 'https://data.yongzhou.gov.example';
let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ HUITONG_PUBLIC_URL: `${PUBLIC}/` });
});
afterAll(() => hub?.close());

/** A GET with a Host header of the caller's choosing (fetch does not let one set it). */
function get(path: string, host: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(hub.url);
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk) => (body += chunk)).on('end', () => resolve({ status: res.statusCode!, body }));
    })
      .on('error', reject)
      .end();
  });
}

const ids = (value: unknown): string[] =>
  typeof value !== 'object' || value === null
    ? []
    : Object.entries(value).flatMap(([k, v]) => (k === '@id' && typeof v === 'string' ? [v] : ids(v)));

test('the DCAT catalogue builds its URLs from HUITONG_PUBLIC_URL, whatever Host the caller sends', async () => {
  const { status, body } = await get('/catalog/dcat.jsonld', 'evil.example');
  expect(status).toBe(200);
  expect(body).not.toContain('evil.example');
  const catalog = JSON.parse(body);
  expect(catalog['@id']).toBe(`${PUBLIC}/catalog/dcat.jsonld`);
  const division = catalog['dcat:dataset'].find((d: { 'dct:identifier': string }) => d['dct:identifier'] === 'spatial.division');
  expect(division['@id']).toBe(`${PUBLIC}/catalog/resources/spatial.division`);
});

test('every hub URL the catalogue advertises is served', async () => {
  const catalog = JSON.parse((await get('/catalog/dcat.jsonld', 'localhost')).body);
  const advertised = [...new Set(ids(catalog).filter((id) => id.startsWith(PUBLIC)).map((id) => id.slice(PUBLIC.length)))];
  expect(advertised.length).toBeGreaterThan(5);
  for (const path of advertised.filter((p) => p !== '/graphql')) {
    const res = await fetch(`${hub.url}${path}`);
    expect({ path, status: res.status }).toEqual({ path, status: 200 });
  }
  const one = (await (await fetch(`${hub.url}/catalog/resources/spatial.division`)).json()) as Record<string, unknown>;
  expect(one).toMatchObject({ '@type': 'dcat:Dataset', 'dct:identifier': 'spatial.division', '@id': `${PUBLIC}/catalog/resources/spatial.division` });
  expect((await fetch(`${hub.url}/catalog/resources/no.such-resource`)).status).toBe(404);
});
