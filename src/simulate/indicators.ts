import type pg from 'pg';
import { simulatedProvenance, YONGZHOU } from './geography.js';
import { SpatialRandom } from './spatial-prng.js';
import { copyRows, type CopyValue } from './copy.js';

/** Counties that publish a bulletin (the two statistical zones report through their hosts). */
const COUNTIES = ['431102', '431103', '431122', '431123', '431124', '431125', '431126', '431127', '431128', '431129', '431181'];
const URBAN_DISTRICTS = new Set(['431102', '431103']);
/** Indicators whose city figure is the sum of the counties'. */
const ADDITIVE = ['gdp', 'primary-industry', 'secondary-industry', 'tertiary-industry', 'resident-population', 'retail-sales', 'public-budget-revenue'];
export const FIRST_YEAR = 2015;
export const LAST_YEAR = 2025;

/** Real growth by year: steady, the 2020 dip and the 2021 rebound. */
const REAL_GROWTH: Record<number, number> = {
  2015: 8.6, 2016: 8.0, 2017: 8.1, 2018: 7.9, 2019: 7.8, 2020: 3.8, 2021: 8.0, 2022: 4.6, 2023: 4.8, 2024: 5.2, 2025: 5.0,
};

/**
 * Yearly bulletin indicators for each county, 2015–2025 (and the city's totals), plausible in size and trend (a county of
 * 30–90 万 residents, GDP per head rising from about 2.6 万元). Each year's figures are published
 * in the following January; GDP and its parts are revised in June (a second version), so `asOf`
 * before the revision answers the preliminary figure.
 */
export async function seedIndicators(client: pg.ClientBase, seed = 20261124): Promise<number> {
  const random = new SpatialRandom(seed ^ 0x5eed);
  const { rows } = await client.query<{ code: string; villages: number }>(
    `select left(code, 6) as code, count(*)::int as villages from division
     where level = 'village' and left(code, 6) = any($1) group by 1 order by 1`,
    [COUNTIES],
  );
  const provenance = simulatedProvenance('statistics/bulletin', 'economy.indicator');
  const out: CopyValue[][] = [];
  for (const { code: county, villages } of rows) {
    const urban = URBAN_DISTRICTS.has(county);
    let population = (urban ? 30 : 8) + villages * 0.11 * (0.9 + random.next() * 0.2);
    let perHead = (urban ? 3.4 : 2.4) * (0.9 + random.next() * 0.2); // 万元
    let income = { all: urban ? 19_500 : 14_500, urban: urban ? 26_500 : 23_500, rural: urban ? 13_500 : 10_800 };
    let urbanisation = (urban ? 62 : 38) + random.next() * 6;
    for (let year = FIRST_YEAR; year <= LAST_YEAR; year++) {
      const growth = REAL_GROWTH[year] + (random.next() - 0.5) * 1.2;
      const inflation = year === 2020 ? 102.4 : 100.6 + random.next() * 1.8;
      if (year > FIRST_YEAR) {
        perHead *= (1 + growth / 100) * (inflation / 100);
        population *= 1 - 0.004 + random.next() * 0.004;
        for (const k of ['all', 'urban', 'rural'] as const) income[k] *= 1 + (k === 'rural' ? 0.085 : 0.065) + (random.next() - 0.5) * 0.01;
        urbanisation += 0.9 + random.next() * 0.6;
      }
      const gdp = population * perHead;
      const primary = gdp * (urban ? 0.1 : 0.22) * (0.95 + random.next() * 0.1);
      const secondary = gdp * (urban ? 0.36 : 0.31) * (0.95 + random.next() * 0.1);
      const values: Record<string, number> = {
        gdp,
        'gdp-growth': growth,
        'primary-industry': primary,
        'secondary-industry': secondary,
        'tertiary-industry': gdp - primary - secondary,
        'resident-population': population,
        'urbanisation-rate': Math.min(urbanisation, 85),
        'disposable-income': income.all,
        'disposable-income-urban': income.urban,
        'disposable-income-rural': income.rural,
        'retail-sales': gdp * (0.42 + random.next() * 0.08),
        'fixed-asset-investment-growth': (year === 2020 ? 4 : 11 - (year - FIRST_YEAR) * 0.6) + (random.next() - 0.5) * 4,
        'public-budget-revenue': gdp * (0.045 + random.next() * 0.015),
        cpi: inflation,
      };
      const published = `${year + 1}-01-20T09:00:00+08:00`;
      const revised = `${year + 1}-06-30T09:00:00+08:00`;
      for (const [indicator, value] of Object.entries(values)) {
        const decimals = indicator.startsWith('disposable') ? 0 : 2;
        const row = (v: number, from: string, to: string | null) =>
          [indicator, county, String(year), v.toFixed(decimals), provenance.sourceSystem, `${county}/${indicator}/${year}`,
            provenance.resourceCode, provenance.resourceVersion, from, from, to];
        if (['gdp', 'primary-industry', 'secondary-industry', 'tertiary-industry'].includes(indicator)) {
          out.push(row(value * (0.985 + random.next() * 0.01), published, revised), row(value, revised, null));
        } else out.push(row(value, published, null));
      }
    }
  }
  await copyRows(
    client,
    'indicator_observation',
    ['indicator_code', 'division_code', 'period', 'value', 'source_system', 'source_key', 'resource_code', 'resource_version',
      'fetched_at', 'valid_from', 'valid_to'],
    out,
  );
  // The city's own figures for what adds up (totals, not rates), version by version: every county
  // publishes and revises on the same days.
  const { rowCount } = await client.query(
    `insert into indicator_observation (indicator_code, division_code, period, value, source_system, source_key,
       resource_code, resource_version, fetched_at, valid_from, valid_to)
     select indicator_code, $1::text, period, sum(value), source_system, concat_ws('/', $1::text, indicator_code, period),
       resource_code, resource_version, valid_from, valid_from, valid_to
     from indicator_observation where indicator_code = any($2) and division_code = any($3)
     group by indicator_code, period, source_system, resource_code, resource_version, valid_from, valid_to`,
    [YONGZHOU, ADDITIVE, COUNTIES],
  );
  return out.length + (rowCount ?? 0);
}
