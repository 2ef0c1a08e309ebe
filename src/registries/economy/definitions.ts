import type pg from 'pg';

export type Frequency = 'monthly' | 'quarterly' | 'yearly';

export interface IndicatorDefinition {
  code: string;
  name: string;
  nameEn: string;
  unit: string;
  frequency: Frequency;
}

/** The statistical bulletin's indicators (统计公报指标, DOMAIN.md §8), published yearly per county. */
export const INDICATORS: readonly IndicatorDefinition[] = [
  { code: 'gdp', name: '地区生产总值', nameEn: 'Gross regional product', unit: '亿元', frequency: 'yearly' },
  { code: 'gdp-growth', name: '地区生产总值增长', nameEn: 'Gross regional product, real growth', unit: '%', frequency: 'yearly' },
  { code: 'primary-industry', name: '第一产业增加值', nameEn: 'Value added, primary industry', unit: '亿元', frequency: 'yearly' },
  { code: 'secondary-industry', name: '第二产业增加值', nameEn: 'Value added, secondary industry', unit: '亿元', frequency: 'yearly' },
  { code: 'tertiary-industry', name: '第三产业增加值', nameEn: 'Value added, tertiary industry', unit: '亿元', frequency: 'yearly' },
  { code: 'resident-population', name: '常住人口', nameEn: 'Resident population', unit: '万人', frequency: 'yearly' },
  { code: 'urbanisation-rate', name: '常住人口城镇化率', nameEn: 'Urbanisation rate', unit: '%', frequency: 'yearly' },
  { code: 'disposable-income', name: '居民人均可支配收入', nameEn: 'Per-capita disposable income', unit: '元', frequency: 'yearly' },
  { code: 'disposable-income-urban', name: '城镇居民人均可支配收入', nameEn: 'Per-capita disposable income, urban', unit: '元', frequency: 'yearly' },
  { code: 'disposable-income-rural', name: '农村居民人均可支配收入', nameEn: 'Per-capita disposable income, rural', unit: '元', frequency: 'yearly' },
  { code: 'retail-sales', name: '社会消费品零售总额', nameEn: 'Retail sales of consumer goods', unit: '亿元', frequency: 'yearly' },
  { code: 'fixed-asset-investment-growth', name: '固定资产投资增长', nameEn: 'Fixed-asset investment growth', unit: '%', frequency: 'yearly' },
  { code: 'public-budget-revenue', name: '一般公共预算收入', nameEn: 'General public budget revenue', unit: '亿元', frequency: 'yearly' },
  { code: 'cpi', name: '居民消费价格指数（上年=100）', nameEn: 'Consumer price index (previous year = 100)', unit: '%', frequency: 'yearly' },
];

/** Registers the indicator definitions (idempotent): reference data every hub has. */
export async function loadIndicatorDefinitions(pool: pg.Pool): Promise<number> {
  await pool.query(
    `insert into indicator (code, name, name_en, unit, frequency)
     select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
     on conflict (code) do update set name = excluded.name, name_en = excluded.name_en, unit = excluded.unit, frequency = excluded.frequency`,
    [INDICATORS.map((i) => i.code), INDICATORS.map((i) => i.name), INDICATORS.map((i) => i.nameEn),
      INDICATORS.map((i) => i.unit), INDICATORS.map((i) => i.frequency)],
  );
  return INDICATORS.length;
}
