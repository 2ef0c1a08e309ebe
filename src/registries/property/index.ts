export { propertyResolvers } from './graphql.js';
export { propertyLoaders } from './loaders.js';
export { checkUnitNumber, certificateNumber, CERTIFICATE_NUMBER, type UnitNumberCheck } from './unit-number.js';
