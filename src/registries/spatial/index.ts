export { loadDivisions, type DivisionLevel, type DivisionRow } from './divisions.js';
export { divisionLoaders, type Division } from './loaders.js';
export { spatialResolvers } from './graphql.js';
