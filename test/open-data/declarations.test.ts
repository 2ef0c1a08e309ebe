import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { readOpenDatasets } from '../../src/open-data/index.js';
import { chartSvg } from '../../src/open-data/charts.js';

let dir: string | null = null;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

async function declare(name: string, body: object): Promise<string> {
  dir ??= await mkdtemp(path.join(tmpdir(), 'open-decl-'));
  await writeFile(path.join(dir, name), JSON.stringify(body));
  return dir;
}

const base = {
  code: 'open.key-places', title: '重点公共场所', titleEn: 'Key places', description: '说明', descriptionEn: 'about', provider: 'urban-management',
  sources: ['city-component.component'], updateCycle: 'daily', publishedAt: '2026-12-03',
  columns: [{ name: 'kind', title: '类型', titleEn: 'Kind', type: 'string' }],
};

test('the shipped declarations read and check', () => {
  expect(readOpenDatasets().length).toBeGreaterThanOrEqual(6);
});

test('a declaration with no query behind it, a wrong column type or a chart on a missing column fails, naming file and place', async () => {
  expect(() => readOpenDatasets(dir!)).toThrow(); // no dir yet
  await declare('persons.json', { ...base, code: 'open.persons' });
  expect(() => readOpenDatasets(dir!)).toThrow(/catalog\/open\/persons\.json: code: no query publishes open\.persons/);
  await rm(path.join(dir!, 'persons.json'));
  await declare('key-places.json', { ...base, columns: [{ name: 'kind', title: '类型', titleEn: 'Kind', type: 'text' }] });
  expect(() => readOpenDatasets(dir!)).toThrow(/key-places\.json: columns\[0\]\.type: "text" is not one of: string, integer, number/);
  await declare('key-places.json', { ...base, chart: { kind: 'bar', category: 'kind', value: 'count' } });
  expect(() => readOpenDatasets(dir!)).toThrow(/key-places\.json: chart: "count" is not one of its columns/);
  await declare('key-places.json', { ...base, code: 'open.divisions' });
  expect(() => readOpenDatasets(dir!)).toThrow(/must be named after its code/);
});

test('a bar chart escapes its labels and titles every bar with its value', () => {
  const svg = chartSvg({ kind: 'bar', category: 'c', series: 's', value: 'v' }, [{ c: '<b>', s: 'x', v: 3 }, { c: '<b>', s: 'y', v: 2 }], 'T & t');
  expect(svg).not.toContain('<b>');
  expect(svg).toContain('&lt;b&gt;');
  expect(svg).toContain('<title>T &amp; t</title>');
  expect(svg.match(/<rect [^>]*fill="#[0-9A-F]+"><title>/g)).toHaveLength(2);
});
