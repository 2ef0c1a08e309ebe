export { loadDivisions, type DivisionLevel, type DivisionRow } from './divisions.js';
export { divisionLoaders, type Division, type Grid, type Address, type VersionKey } from './loaders.js';
export { spatialResolvers, requireValid, requireDivision } from './graphql.js';
export { checkDivisionCode, checkGridCode, checkAddressCode, checkCoordinates, descendantPrefix, type CodeCheck } from './codes.js';
export { GRID_TABLE, ADDRESS_TABLE } from './queries.js';
export { underPrefix } from './queries.js';
