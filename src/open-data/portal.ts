import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import type { Logger } from '../log.js';
import { chartSvg } from './charts.js';
import { openRows, readOpenDatasets, type OpenDataset, type OpenRow } from './datasets.js';
import { escapeHtml as esc, langOf, page, type Lang } from './html.js';

export interface PortalOptions {
  pool: pg.Pool;
  /** The hub's public address (`HUITONG_PUBLIC_URL`): the DCAT feed's URLs are built from it, never from Host. */
  publicUrl: string;
  logger: Logger;
  /** How long computed rows are kept: the portal is public, so a burst of visitors costs one query. (Default: 60 s) */
  cacheMs?: number;
}

/** CSV (RFC 4180) with a BOM, so that spreadsheet programs read the Chinese as UTF-8. */
export function toCsv(dataset: OpenDataset, rows: OpenRow[]): string {
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [dataset.columns.map((c) => cell(c.name)).join(',')];
  for (const r of rows) lines.push(dataset.columns.map((c) => cell(r[c.name])).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/**
 * The public portal (公开数据) at `/open`, no sign-in: a list page, a page per dataset with its
 * chart, CSV and JSON downloads, and a DCAT-AP JSON-LD feed of the open datasets. It reads only
 * the queries of `catalog/open/` declarations (aggregates and fields naming no person).
 */
export function createOpenPortal(options: PortalOptions) {
  const datasets = readOpenDatasets();
  const byCode = new Map(datasets.map((d) => [d.code, d]));
  const cache = new Map<string, { at: number; rows: Promise<OpenRow[]> }>();
  const ttl = options.cacheMs ?? 60_000;

  const rowsOf = (d: OpenDataset): Promise<OpenRow[]> => {
    const hit = cache.get(d.code);
    if (hit && Date.now() - hit.at < ttl) return hit.rows;
    const rows = openRows(options.pool, d);
    cache.set(d.code, { at: Date.now(), rows });
    rows.catch(() => cache.delete(d.code));
    return rows;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hub.invalid');
    const route = url.pathname.replace(/\/+$/, '') || '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed');
    const lang = langOf(url);
    try {
      if (route === '/open') return send(res, 200, HTML, listPage(lang));
      if (route === '/open/dcat.jsonld') return send(res, 200, 'application/ld+json; charset=utf-8', JSON.stringify(dcatFeed(datasets, options.publicUrl)));
      const m = /^\/open\/datasets\/(open\.[a-z0-9-]+?)(\.csv|\.json)?$/.exec(route);
      const dataset = m ? byCode.get(m[1]) : undefined;
      if (!m || !dataset) return send(res, 404, HTML, page(lang, '404', `<h1>404</h1><p>${lang === 'zh' ? '没有这个数据集。' : 'No such dataset.'}</p>`, '/open'));
      const rows = await rowsOf(dataset);
      if (m[2] === '.csv') return send(res, 200, 'text/csv; charset=utf-8', toCsv(dataset, rows), `${dataset.code}.csv`);
      if (m[2] === '.json') return send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ dataset: metadataOf(dataset), rows }), `${dataset.code}.json`);
      return send(res, 200, HTML, datasetPage(lang, dataset, rows));
    } catch (err) {
      options.logger.error({ err, route }, 'open data page failed');
      return send(res, 503, 'text/plain; charset=utf-8', 'open data temporarily unavailable');
    }
  }

  function listPage(lang: Lang): string {
    const q = lang === 'en' ? '?lang=en' : '';
    const items = datasets
      .map(
        (d) => `<article>
  <header><a href="/open/datasets/${d.code}${q}"><strong>${esc(lang === 'zh' ? d.title : d.titleEn)}</strong></a></header>
  <p>${esc(lang === 'zh' ? d.description : d.descriptionEn)}</p>
  <footer><small>${esc(d.provider)} · ${esc(d.updateCycle)} · <a href="/open/datasets/${d.code}.csv">CSV</a> · <a href="/open/datasets/${d.code}.json">JSON</a></small></footer>
</article>`,
      )
      .join('\n');
    const heading = lang === 'zh' ? '公开数据' : 'Open data';
    const intro = lang === 'zh' ? '永州市基础数据库向社会公开的统计数据，无需登录即可浏览和下载。' : 'Statistics from the city’s base libraries, open to everyone: browse and download without signing in.';
    return page(lang, heading, `<h1>${heading}</h1><p>${intro}</p><section id="datasets">${items}</section>`, lang === 'zh' ? '/open?lang=en' : '/open');
  }

  function datasetPage(lang: Lang, d: OpenDataset, rows: OpenRow[]): string {
    const title = lang === 'zh' ? d.title : d.titleEn;
    const shown = rows.slice(0, 200);
    const head = d.columns.map((c) => `<th scope="col">${esc(lang === 'zh' ? c.title : c.titleEn)}</th>`).join('');
    const body = shown
      .map((r) => `<tr>${d.columns.map((c) => (c.type === 'string' ? `<td>${esc(r[c.name])}</td>` : `<td class="num">${r[c.name] === null ? '—' : esc(r[c.name])}</td>`)).join('')}</tr>`)
      .join('\n');
    const more = rows.length > shown.length ? `<p><small>${lang === 'zh' ? `共 ${rows.length} 行，此处显示前 200 行；完整数据请下载。` : `${rows.length} rows; the first 200 shown, download for all.`}</small></p>` : '';
    const chartTitle = (lang === 'zh' ? d.chart?.title : d.chart?.titleEn) ?? title;
    const chart = d.chart ? `<figure>${chartSvg(d.chart, rows, chartTitle)}${chartTitle !== title ? `<figcaption>${esc(chartTitle)}</figcaption>` : ''}</figure>` : '';
    const html = `<hgroup><h1>${esc(title)}</h1><p>${esc(lang === 'zh' ? d.description : d.descriptionEn)}</p></hgroup>
<p><a role="button" href="/open/datasets/${d.code}.csv" download data-download="csv">${lang === 'zh' ? '下载 CSV' : 'Download CSV'}</a>
<a role="button" class="secondary" href="/open/datasets/${d.code}.json" download data-download="json">${lang === 'zh' ? '下载 JSON' : 'Download JSON'}</a></p>
${chart}
<details><summary>${lang === 'zh' ? '元数据' : 'Metadata'}</summary><dl>
<dt>${lang === 'zh' ? '代码' : 'Code'}</dt><dd><code>${esc(d.code)}</code></dd>
<dt>${lang === 'zh' ? '提供方' : 'Provider'}</dt><dd>${esc(d.provider)}</dd>
<dt>${lang === 'zh' ? '来源资源' : 'Computed from'}</dt><dd>${d.sources.map((s) => `<code>${esc(s)}</code>`).join(' ')}</dd>
<dt>${lang === 'zh' ? '更新周期' : 'Update cycle'}</dt><dd>${esc(d.updateCycle)}</dd>
</dl></details>
<figure><table class="striped"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></figure>${more}`;
    return page(lang, title, html, lang === 'zh' ? `/open/datasets/${d.code}?lang=en` : `/open/datasets/${d.code}`);
  }

  return { datasets, handle };
}

export type OpenPortal = ReturnType<typeof createOpenPortal>;

const HTML = 'text/html; charset=utf-8';

function send(res: ServerResponse, status: number, type: string, body: string, filename?: string): void {
  const headers: Record<string, string> = { 'content-type': type, 'x-content-type-options': 'nosniff', 'cache-control': 'public, max-age=60' };
  if (filename) headers['content-disposition'] = `attachment; filename="${filename}"`;
  if (type === HTML) headers['content-security-policy'] = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";
  res.writeHead(status, headers).end(body);
}

function metadataOf(d: OpenDataset) {
  return { code: d.code, title: d.title, titleEn: d.titleEn, description: d.description, provider: d.provider, sources: d.sources, updateCycle: d.updateCycle, columns: d.columns };
}

const DCAT_CONTEXT = {
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
};

/**
 * The open datasets as a DCAT-AP catalogue: each with its CSV and JSON distributions
 * (`dcat:downloadURL`) and `dct:source` naming the catalogue resources it is computed from (the
 * shared catalogue's own feed, `/catalog/dcat.jsonld`, describes those).
 */
export function dcatFeed(datasets: OpenDataset[], baseUrl: string): object {
  return {
    '@context': DCAT_CONTEXT,
    '@id': `${baseUrl}/open/dcat.jsonld`,
    '@type': 'dcat:Catalog',
    'dct:title': [{ '@language': 'zh', '@value': '汇通公开数据' }, { '@language': 'en', '@value': 'Huitong open data' }],
    'dct:publisher': { '@type': 'foaf:Agent', 'dct:identifier': 'data-bureau' },
    'dcat:dataset': datasets.map((d) => ({
      '@id': `${baseUrl}/open/datasets/${d.code}`,
      '@type': 'dcat:Dataset',
      'dct:identifier': d.code,
      'dct:title': [{ '@language': 'zh', '@value': d.title }, { '@language': 'en', '@value': d.titleEn }],
      'dct:description': [{ '@language': 'zh', '@value': d.description }, { '@language': 'en', '@value': d.descriptionEn }],
      'dct:publisher': { '@type': 'foaf:Agent', 'dct:identifier': d.provider },
      'dcat:keyword': d.keywords.map((k) => ({ '@language': 'zh', '@value': k })),
      'dct:accessRights': { '@id': 'http://publications.europa.eu/resource/authority/access-right/PUBLIC' },
      'dct:issued': { '@type': 'xsd:date', '@value': d.publishedAt },
      'dct:source': d.sources.map((s) => ({ '@id': `${baseUrl}/catalog/resources/${s}` })),
      'dcat:landingPage': { '@id': `${baseUrl}/open/datasets/${d.code}` },
      'dcat:distribution': [
        { '@type': 'dcat:Distribution', 'dct:format': 'CSV', 'dcat:mediaType': 'text/csv', 'dcat:downloadURL': { '@id': `${baseUrl}/open/datasets/${d.code}.csv` } },
        { '@type': 'dcat:Distribution', 'dct:format': 'JSON', 'dcat:mediaType': 'application/json', 'dcat:downloadURL': { '@id': `${baseUrl}/open/datasets/${d.code}.json` } },
      ],
    })),
  };
}
