import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readOpenDatasets } from '../../src/open-data/index.js';
import { seedCity, seedSpatial } from '../../src/simulate/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';

let hub: TestHub;
const datasets = readOpenDatasets();

beforeAll(async () => {
  hub = await startTestHub();
  await seedSpatial(hub.owner.pool, { scale: 0.2 });
  await seedCity(hub.owner.pool, { persons: 3000, seed: 16 });
}, 120_000);
afterAll(() => hub?.close());

const get = (route: string) => fetch(`${hub.url}${route}`);

describe('the open data portal, without sign-in', () => {
  test('ships the datasets of the six libraries', () => {
    expect(datasets.map((d) => d.code)).toEqual(
      expect.arrayContaining([
        'open.population-by-division-age',
        'open.legal-entities-by-industry-division',
        'open.real-estate-by-division-use',
        'open.city-components-by-category-status',
        'open.key-places',
      ]),
    );
  });

  test('every dataset names catalogue resources that exist as its sources', async () => {
    const { rows } = await hub.db.pool.query<{ code: string }>('select code from catalog_resource');
    const codes = new Set(rows.map((r) => r.code));
    for (const d of datasets) for (const s of d.sources) expect(codes.has(s), `${d.code}: ${s}`).toBe(true);
  });

  test('the list page names every dataset and links to it', async () => {
    const res = await get('/open');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('公开数据');
    for (const d of datasets) expect(html).toContain(`/open/datasets/${d.code}`);
    const en = await (await get('/open?lang=en')).text();
    expect(en).toContain('Open data');
  });

  test('every dataset has a page with its chart and table, and CSV and JSON downloads that agree', async () => {
    for (const d of datasets) {
      const html = await (await get(`/open/datasets/${d.code}`)).text();
      expect(html).toContain(d.title);
      if (d.chart) expect(html, d.code).toMatch(/<svg[^]*<(rect|circle) [^>]*fill="#[0-9A-F]{6}"/);
      const json = (await (await get(`/open/datasets/${d.code}.json`)).json()) as { dataset: { code: string }; rows: Record<string, unknown>[] };
      expect(json.dataset.code).toBe(d.code);
      expect(json.rows.length).toBeGreaterThan(0);
      expect(Object.keys(json.rows[0])).toEqual(d.columns.map((c) => c.name));
      const csvRes = await get(`/open/datasets/${d.code}.csv`);
      expect(csvRes.headers.get('content-type')).toMatch(/text\/csv/);
      expect(csvRes.headers.get('content-disposition')).toContain(`${d.code}.csv`);
      const csv = (await csvRes.text()).replace(/^\uFEFF/, '').trim().split('\r\n');
      expect(csv[0]).toBe(d.columns.map((c) => c.name).join(','));
      expect(csv.length - 1).toBe(json.rows.length);
    }
  });

  test('population counts add up to the living persons, cells under 5 suppressed', async () => {
    const { rows } = (await (await get('/open/datasets/open.population-by-division-age.json')).json()) as { rows: { persons: number | null }[] };
    const living = Number((await hub.db.pool.query(`select count(*) from person where valid_to is null and status = 'living'`)).rows[0].count);
    const published = rows.reduce((a, r) => a + (r.persons ?? 0), 0);
    const suppressed = rows.filter((r) => r.persons === null).length;
    expect(rows.every((r) => r.persons === null || r.persons >= 5)).toBe(true);
    expect(published).toBeLessThanOrEqual(living);
    expect(living - published).toBeLessThanOrEqual(suppressed * 4);
  });

  test('an unknown dataset is 404 and nothing but GET is served', async () => {
    expect((await get('/open/datasets/open.nope')).status).toBe(404);
    expect((await get('/open/datasets/population.person.csv')).status).toBe(404);
    expect((await fetch(`${hub.url}/open`, { method: 'POST' })).status).toBe(405);
  });

  test('the DCAT feed lists every open dataset with its downloads, from the configured public URL', async () => {
    const feed = (await (await get('/open/dcat.jsonld')).json()) as { 'dcat:dataset': { 'dct:identifier': string; 'dcat:distribution': { 'dcat:downloadURL': { '@id': string } }[] }[] };
    expect(feed['dcat:dataset'].map((d) => d['dct:identifier']).sort()).toEqual(datasets.map((d) => d.code).sort());
    for (const d of feed['dcat:dataset']) {
      for (const dist of d['dcat:distribution']) {
        expect(dist['dcat:downloadURL']['@id'].startsWith(hub.config.publicUrl)).toBe(true);
        const route = dist['dcat:downloadURL']['@id'].slice(hub.config.publicUrl.length);
        expect((await get(route)).status).toBe(200);
      }
    }
  });

  test('the page assets (Pico CSS, Noto Sans SC) are served by the hub, and nothing outside them', async () => {
    expect((await get('/assets/pico/pico.min.css')).status).toBe(200);
    const css = await (await get('/assets/fonts/noto-sans-sc/400.css')).text();
    const font = /url\(\.\/(files\/[^)]+\.woff2)\)/.exec(css)![1];
    const woff = await get(`/assets/fonts/noto-sans-sc/${font}`);
    expect(woff.status).toBe(200);
    expect(woff.headers.get('content-type')).toBe('font/woff2');
    expect((await get('/assets/pico/..%2F..%2F..%2Fpackage.json')).status).toBe(404);
    expect((await get('/assets/console/../../../package.json')).status).toBe(404);
  });
});

describe('no open download names a person of the population library', () => {
  test('no ID number, name, former name, phone or address of any person (or household, or grid keeper) appears', async () => {
    const pool = hub.db.pool;
    const persons = (await pool.query<{ id_number: string; name: string; former_names: string[]; address: string | null }>(`select id_number, name, former_names, address from person`)).rows;
    const households = (await pool.query<{ address: string }>(`select address from household`)).rows;
    const keepers = (await pool.query<{ keeper_name: string | null; keeper_phone: string | null }>(`select keeper_name, keeper_phone from grid`)).rows;
    expect(persons.length).toBe(3000);
    const ids = new Set(persons.map((p) => p.id_number));
    const names = new Set([...persons.flatMap((p) => [p.name, ...p.former_names]), ...keepers.flatMap((k) => (k.keeper_name ? [k.keeper_name] : []))]);
    const addresses = new Set([...persons.flatMap((p) => (p.address ? [p.address] : [])), ...households.map((h) => h.address)]);
    const phones = new Set(keepers.flatMap((k) => (k.keeper_phone ? [k.keeper_phone] : [])));

    const leaks: string[] = [];
    const scan = (where: string, text: string, cells: string[]) => {
      // An ID number or phone number anywhere in the text; a name or address as a whole value (a
      // two-character name may well occur inside a place name, which is no leak).
      for (const m of text.matchAll(/\d{17}[\dX]/g)) if (ids.has(m[0])) leaks.push(`${where}: ID number ${m[0]}`);
      for (const m of text.matchAll(/1\d{10}/g)) if (phones.has(m[0])) leaks.push(`${where}: phone ${m[0]}`);
      for (const a of addresses) if (text.includes(a)) leaks.push(`${where}: address ${a}`);
      for (const c of cells) if (names.has(c)) leaks.push(`${where}: name ${c}`);
    };
    // The scan is not vacuous: a made-up download carrying one real person is caught.
    const someone = persons[0];
    scan('probe', `name,idNumber\r\n${someone.name},${someone.id_number}\r\n`, [someone.name, someone.id_number]);
    expect(leaks).toHaveLength(2);
    leaks.length = 0;

    let scanned = 0;
    for (const d of datasets) {
      const csv = await (await get(`/open/datasets/${d.code}.csv`)).text();
      scan(`${d.code}.csv`, csv, csv.replace(/^\uFEFF/, '').split(/\r\n|,/).map((c) => c.replace(/^"|"$/g, '')));
      const json = await (await get(`/open/datasets/${d.code}.json`)).text();
      const values: string[] = [];
      JSON.parse(json, (_k, v) => (typeof v === 'string' && values.push(v), v));
      scan(`${d.code}.json`, json, values);
      const html = await (await get(`/open/datasets/${d.code}`)).text();
      scan(d.code, html, [...html.matchAll(/>([^<>]+)</g)].map((m) => m[1].trim()));
      scanned += 3;
    }
    const feed = await (await get('/open/dcat.jsonld')).text();
    scan('dcat', feed, []);
    expect(scanned).toBe(datasets.length * 3);
    expect(leaks).toEqual([]);
  });
});
