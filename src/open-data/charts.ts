import type { ChartSpec, OpenRow } from './datasets.js';
import { escapeHtml as esc } from './html.js';

/** Colour-blind-safe palette (Okabe–Ito), one colour per series. */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

/**
 * The dataset's chart as server-rendered SVG: no script, so it shows in any browser, in a PDF and
 * to a screen reader (each bar has a title), and adds no front-end dependency.
 */
export function chartSvg(spec: ChartSpec, rows: OpenRow[], title: string): string {
  const where = Object.entries(spec.where ?? {});
  const drawn = where.length ? rows.filter((r) => where.every(([k, v]) => String(r[k]) === v)) : rows;
  return spec.kind === 'bar' ? barChart(spec, drawn, title) : mapChart(spec, drawn, title);
}

function barChart(spec: Extract<ChartSpec, { kind: 'bar' }>, rows: OpenRow[], title: string): string {
  const categories = [...new Set(rows.map((r) => String(r[spec.category] ?? '')))];
  const series = spec.series ? [...new Set(rows.map((r) => String(r[spec.series!] ?? '')))].sort() : [''];
  const sums = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const c = String(r[spec.category] ?? '');
    const s = spec.series ? String(r[spec.series] ?? '') : '';
    const v = typeof r[spec.value] === 'number' ? (r[spec.value] as number) : 0;
    const byCat = sums.get(c) ?? new Map<string, number>();
    byCat.set(s, (byCat.get(s) ?? 0) + v);
    sums.set(c, byCat);
  }
  const totals = categories.map((c) => [...(sums.get(c)?.values() ?? [])].reduce((a, b) => a + b, 0));
  const max = Math.max(1, ...totals);
  const rowH = 22;
  const labelW = 190;
  const plotW = 520;
  const legendH = spec.series ? 28 : 0;
  const height = legendH + categories.length * rowH + 24;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 ${labelW + plotW + 80} ${height}" class="chart" aria-label="${esc(title)}">`);
  parts.push(`<title>${esc(title)}</title>`);
  if (spec.series) {
    series.forEach((s, i) => {
      const x = labelW + i * 95;
      parts.push(`<rect x="${x}" y="6" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/><text x="${x + 16}" y="17" font-size="12">${esc(s)}</text>`);
    });
  }
  categories.forEach((c, i) => {
    const y = legendH + i * rowH;
    parts.push(`<text x="${labelW - 6}" y="${y + 15}" font-size="12" text-anchor="end">${esc(truncate(c, 16))}</text>`);
    let x = labelW;
    series.forEach((s, j) => {
      const v = sums.get(c)?.get(s) ?? 0;
      const w = (v / max) * plotW;
      if (w > 0) {
        parts.push(`<rect x="${x.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${PALETTE[j % PALETTE.length]}"><title>${esc(c)}${s ? ` · ${esc(s)}` : ''}: ${v.toLocaleString('en')}</title></rect>`);
      }
      x += w;
    });
    parts.push(`<text x="${(x + 4).toFixed(1)}" y="${y + 15}" font-size="11" fill="#555">${totals[i].toLocaleString('en')}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function mapChart(spec: Extract<ChartSpec, { kind: 'map' }>, rows: OpenRow[], title: string): string {
  const points = rows.filter((r) => typeof r[spec.x] === 'number' && typeof r[spec.y] === 'number');
  const series = [...new Set(points.map((r) => String(r[spec.series] ?? '')))].sort();
  const xs = points.map((r) => r[spec.x] as number);
  const ys = points.map((r) => r[spec.y] as number);
  const [minX, maxX, minY, maxY] = xs.length ? [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)] : [0, 1, 0, 1];
  const w = 640;
  const h = 480;
  const pad = 20;
  const spanX = maxX - minX || 1;
  const spanY = maxY - minY || 1;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 ${w} ${h + 30}" class="chart" aria-label="${esc(title)}"><title>${esc(title)}</title>`];
  parts.push(`<rect x="0" y="30" width="${w}" height="${h}" fill="#f6f8fa" stroke="#ccc"/>`);
  series.forEach((s, i) => {
    parts.push(`<circle cx="${16 + i * 110}" cy="14" r="5" fill="${PALETTE[i % PALETTE.length]}"/><text x="${26 + i * 110}" y="18" font-size="12">${esc(s)}</text>`);
  });
  for (const r of points) {
    const cx = pad + (((r[spec.x] as number) - minX) / spanX) * (w - 2 * pad);
    const cy = 30 + h - pad - (((r[spec.y] as number) - minY) / spanY) * (h - 2 * pad);
    const colour = PALETTE[series.indexOf(String(r[spec.series] ?? '')) % PALETTE.length];
    parts.push(`<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="2.5" fill="${colour}" fill-opacity="0.8"/>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
