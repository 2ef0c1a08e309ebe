export { economyResolvers } from './graphql.js';
export { INDICATORS, loadIndicatorDefinitions, type IndicatorDefinition, type Frequency } from './definitions.js';
export { checkIndicatorCode, checkPeriod, periodMonths } from './codes.js';
export { OBSERVATION_TABLE } from './queries.js';
