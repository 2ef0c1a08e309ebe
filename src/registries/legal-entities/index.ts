export { legalEntityResolvers, creditCodeArgument } from './graphql.js';
export { legalEntityLoaders } from './loaders.js';
export { checkCreditCode, makeCreditCode, creditCodeCheckChar, organisationCheckChar, type CreditCodeCheck } from './credit-code.js';
export type { LegalEntityRow } from './queries.js';
