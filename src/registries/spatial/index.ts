export { loadDivisions, type DivisionLevel, type DivisionRow } from './divisions.js';
export { divisionLoaders, type Division, type Grid, type Address, type VersionKey } from './loaders.js';
export { spatialResolvers, requireValid } from './graphql.js';
export { checkDivisionCode, checkGridCode, checkAddressCode, checkCoordinates, descendantPrefix, type CodeCheck } from './codes.js';
export { VERSION_COLUMNS, versionAt, withProvenance, type Provenance } from './queries.js';
