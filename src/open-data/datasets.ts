import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';

/** A column of an open dataset, as its declaration in `catalog/open/` names it. */
export interface OpenColumn {
  name: string;
  title: string;
  titleEn: string;
  type: 'string' | 'integer' | 'number';
}

/** How the dataset's page draws it: bars per category (stacked by series), or points on a map. */
export type ChartSpec = (
  | { kind: 'bar'; category: string; series?: string; value: string }
  | { kind: 'map'; series: string; x: string; y: string }
) & {
  /** Only the rows whose columns have these values are drawn (e.g. one indicator of many). (Default: all) */
  where?: Record<string, string>;
  /** What the chart shows, when it is not the whole dataset. (Default: the dataset's title) */
  title?: string;
  titleEn?: string;
};

/** An open dataset (开放数据集) as declared in `catalog/open/<name>.json`: metadata only, never data. */
export interface OpenDataset {
  code: string;
  title: string;
  titleEn: string;
  description: string;
  descriptionEn: string;
  /** Department that answers for the data (提供方). */
  provider: string;
  /** Catalogue resources it is computed from. */
  sources: string[];
  updateCycle: string;
  publishedAt: string;
  keywords: string[];
  columns: OpenColumn[];
  /** The page's chart; a plain list (divisions) has none. */
  chart?: ChartSpec;
  /** Counts below this are published empty (small-cell suppression), so no cell points at a few persons. (Default: none) */
  suppressBelow?: number;
}

export type OpenRow = Record<string, string | number | null>;

export const OPEN_DIR = path.resolve(import.meta.dirname, '../../catalog/open');

/**
 * The queries behind the open datasets. Only these run: a declaration names its code, and the code
 * is the query's. Each reads current records only (`valid_to is null`) and returns aggregates or
 * fields that name no person (no ID number, name, phone, address, birth date or household), so
 * what leaves is safe by construction; `test/open-data` scans every download to check.
 */
const QUERIES: Record<string, string> = {
  'open.population-by-division-age': `
    with living as (
      select left(p.residence_division, 6) as county,
             extract(year from age(current_date, p.birth_date))::int as age
        from person p
       where p.valid_to is null and p.status = 'living'
    ), banded as (
      select county,
             case when age < 18 then '0-17' when age < 35 then '18-34' when age < 60 then '35-59'
                  when age < 80 then '60-79' else '80+' end as band
        from living
    )
    select b.county as "divisionCode", d.name as "divisionName", b.band as "ageBand", count(*)::int as persons
      from banded b left join division d on d.code = b.county
     group by b.county, d.name, b.band
     order by b.county, b.band`,
  'open.legal-entities-by-industry-division': `
    select coalesce(left(e.industry_code, 1), '-') as "industrySection", left(e.division_code, 6) as "divisionCode",
           d.name as "divisionName", count(*)::int as entities
      from legal_entity e left join division d on d.code = left(e.division_code, 6)
     where e.valid_to is null and e.status = 'in_business'
     group by 1, 2, 3
     order by 1, 2`,
  'open.real-estate-by-division-use': `
    select left(u.division_code, 6) as "divisionCode", d.name as "divisionName", u.usage,
           count(*)::int as units, round(coalesce(sum(u.floor_area), 0), 2)::float8 as "floorArea"
      from property_unit u left join division d on d.code = left(u.division_code, 6)
     where u.valid_to is null
     group by 1, 2, 3
     order by 1, 3`,
  'open.city-components-by-category-status': `
    select c.category, c.status, count(*)::int as components
      from city_component c
     where c.valid_to is null
     group by 1, 2
     order by 1, 2`,
  'open.indicators': `
    select o.indicator_code as "indicatorCode", i.name as indicator, i.unit, o.division_code as "divisionCode", d.name as "divisionName",
           o.period, o.value::float8 as value
      from indicator_observation o
      join indicator i on i.code = o.indicator_code
      left join division d on d.code = o.division_code
     where o.valid_to is null and length(o.period) = 4
       and o.period = (select max(p.period) from indicator_observation p
                        where p.valid_to is null and p.indicator_code = o.indicator_code and length(p.period) = 4)
     order by o.indicator_code, o.division_code`,
  'open.divisions': `
    select d.code, d.name, d.level, d.parent_code as "parentCode"
      from division d
     where d.valid_to is null and (d.code like '4311%')
     order by d.code`,
  'open.key-places': `
    select c.code, c.subclass as kind, county.name as "divisionName", township.name as "townshipName",
           round(c.location[0]::numeric, 5)::float8 as longitude, round(c.location[1]::numeric, 5)::float8 as latitude, c.status
      from city_component c
      left join division county on county.code = left(c.division_code, 6)
      left join division township on township.code = left(c.division_code, 9)
     where c.valid_to is null and c.subclass in ('0109', '0201', '0301')
     order by c.code`,
};

/** GB/T 4754-2017 sections (门类). */
const INDUSTRY_SECTIONS: Record<string, string> = {
  A: '农、林、牧、渔业', B: '采矿业', C: '制造业', D: '电力、热力、燃气及水生产和供应业', E: '建筑业', F: '批发和零售业',
  G: '交通运输、仓储和邮政业', H: '住宿和餐饮业', I: '信息传输、软件和信息技术服务业', J: '金融业', K: '房地产业',
  L: '租赁和商务服务业', M: '科学研究和技术服务业', N: '水利、环境和公共设施管理业', O: '居民服务、修理和其他服务业',
  P: '教育', Q: '卫生和社会工作', R: '文化、体育和娱乐业', S: '公共管理、社会保障和社会组织', T: '国际组织', '-': '未分类',
};

const COMPONENT_CATEGORIES: Record<string, string> = {
  '01': '公用设施', '02': '道路交通', '03': '市容环境', '04': '园林绿化', '05': '房屋土地', '06': '其他设施',
};
const PLACE_KINDS: Record<string, string> = { '0109': '消防栓', '0201': '公交站亭', '0301': '公共厕所' };
const USAGES: Record<string, string> = { residential: '住宅', homestead: '宅基地', commercial: '商业', industrial: '工业', office: '办公' };
const LEVELS: Record<string, string> = { province: '省', prefecture: '地市', county: '区县', township: '乡镇街道', village: '村居' };
const STATUSES: Record<string, string> = { normal: '完好', damaged: '损坏', missing: '丢失', removed: '移除' };

/** Codes turned into the names people read, added to each row after the query. */
const LABELS: Record<string, (row: OpenRow) => OpenRow> = {
  'open.legal-entities-by-industry-division': (r) => ({
    industrySection: r.industrySection, industryName: INDUSTRY_SECTIONS[String(r.industrySection)] ?? String(r.industrySection),
    divisionCode: r.divisionCode, divisionName: r.divisionName, entities: r.entities,
  }),
  'open.real-estate-by-division-use': (r) => ({ ...r, usage: USAGES[String(r.usage)] ?? r.usage }),
  'open.city-components-by-category-status': (r) => ({
    category: r.category, categoryName: COMPONENT_CATEGORIES[String(r.category)] ?? r.category,
    status: STATUSES[String(r.status)] ?? r.status, components: r.components,
  }),
  'open.divisions': (r) => ({ ...r, level: LEVELS[String(r.level)] ?? r.level }),
  'open.key-places': (r) => ({ ...r, kind: PLACE_KINDS[String(r.kind)] ?? r.kind, status: STATUSES[String(r.status)] ?? r.status }),
};

export class OpenDataError extends Error {
  constructor(file: string, place: string, problem: string) {
    super(`catalog/open/${file}: ${place}: ${problem}`);
  }
}

/** Reads and checks every declaration in `catalog/open/`; a problem names its file and place. */
export function readOpenDatasets(dir = OPEN_DIR): OpenDataset[] {
  const datasets = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => checkDeclaration(file, JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as unknown));
  const codes = new Set<string>();
  for (const d of datasets) {
    if (codes.has(d.code)) throw new OpenDataError(d.code, 'code', 'declared twice');
    codes.add(d.code);
  }
  return datasets;
}

function checkDeclaration(file: string, value: unknown): OpenDataset {
  const d = value as Partial<OpenDataset>;
  const text = ['code', 'title', 'titleEn', 'description', 'descriptionEn', 'provider', 'updateCycle', 'publishedAt'] as const;
  for (const key of text) if (typeof d[key] !== 'string' || !d[key]) throw new OpenDataError(file, key, 'a non-empty string is required');
  if (!/^open\.[a-z0-9-]+$/.test(d.code!)) throw new OpenDataError(file, 'code', `"${d.code}" is not open.<slug>`);
  if (`open.${file.replace(/\.json$/, '')}` !== d.code) throw new OpenDataError(file, 'code', `the file must be named after its code (${d.code!.slice(5)}.json)`);
  if (!QUERIES[d.code!]) throw new OpenDataError(file, 'code', `no query publishes ${d.code}; known: ${Object.keys(QUERIES).join(', ')}`);
  if (!Array.isArray(d.sources) || !d.sources.length) throw new OpenDataError(file, 'sources', 'name the catalogue resources it is computed from');
  if (!Array.isArray(d.columns) || !d.columns.length) throw new OpenDataError(file, 'columns', 'at least one column');
  d.columns.forEach((c, i) => {
    if (!c || typeof c.name !== 'string' || typeof c.title !== 'string' || typeof c.titleEn !== 'string') throw new OpenDataError(file, `columns[${i}]`, 'name, title and titleEn are required');
    if (!['string', 'integer', 'number'].includes(c.type)) throw new OpenDataError(file, `columns[${i}].type`, `"${c.type}" is not one of: string, integer, number`);
  });
  const names = new Set(d.columns.map((c) => c.name));
  const chart = d.chart as ChartSpec | undefined;
  const used = !chart ? [] : chart.kind === 'bar' ? [chart.category, chart.value, chart.series] : chart.kind === 'map' ? [chart.series, chart.x, chart.y] : null;
  if (!used) throw new OpenDataError(file, 'chart.kind', 'is not one of: bar, map');
  for (const c of [...used, ...Object.keys(chart?.where ?? {})]) if (c !== undefined && !names.has(c)) throw new OpenDataError(file, 'chart', `"${c}" is not one of its columns`);
  return { keywords: [], ...d } as OpenDataset;
}

/**
 * The dataset's rows, columns in the declared order. Counts under `suppressBelow` become null: a
 * cell of one or two persons in a county and age band would point at them.
 */
export async function openRows(pool: pg.Pool, dataset: OpenDataset): Promise<OpenRow[]> {
  const { rows } = await pool.query<OpenRow>(QUERIES[dataset.code]);
  const label = LABELS[dataset.code] ?? ((r: OpenRow) => r);
  const counts = dataset.columns.filter((c) => c.type === 'integer').map((c) => c.name);
  return rows.map((raw) => {
    const row = label(raw);
    const out: OpenRow = {};
    for (const c of dataset.columns) out[c.name] = row[c.name] ?? null;
    if (dataset.suppressBelow) for (const c of counts) if (typeof out[c] === 'number' && (out[c] as number) < dataset.suppressBelow) out[c] = null;
    return out;
  });
}
