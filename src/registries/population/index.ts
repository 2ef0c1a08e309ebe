export { populationResolvers, idNumberArgument } from './graphql.js';
export { populationLoaders } from './loaders.js';
export { checkIdNumber, parseIdNumber, makeIdNumber, idNumberCheckChar, type Gender, type IdNumberCheck } from './id-number.js';
export { everValidCountyCodes, type PersonRow, type HouseholdRow } from './queries.js';
