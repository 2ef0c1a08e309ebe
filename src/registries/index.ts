import type pg from 'pg';
import { loadIndicatorDefinitions } from './economy/index.js';
import { loadDivisions } from './spatial/index.js';

export { spatialResolvers, divisionLoaders, type Division } from './spatial/index.js';
export { economyResolvers } from './economy/index.js';
export { cityComponentResolvers } from './city-components/index.js';
export { populationResolvers, populationLoaders } from './population/index.js';
export { legalEntityResolvers, legalEntityLoaders } from './legal-entities/index.js';
export { propertyResolvers, propertyLoaders } from './property/index.js';
export { contractNames, departmentResolvers, departmentTypeDefs, exposedResources, type ContractNames } from './department/index.js';

/** Reference data every hub needs whatever its demo setting: the division codes. Loaded once. */
export async function loadReferenceData(pool: pg.Pool): Promise<{ divisions: number }> {
  await loadIndicatorDefinitions(pool);
  const { rows } = await pool.query<{ n: number }>('select count(*)::int as n from division');
  if (rows[0].n > 0) return { divisions: 0 };
  return { divisions: await loadDivisions(pool) };
}
