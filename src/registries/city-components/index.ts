export { cityComponentResolvers } from './graphql.js';
export { CATEGORIES, SUBCLASSES, STATUSES, type ComponentStatus } from './classification.js';
export { checkComponentCode, checkCategory } from './codes.js';
export { COMPONENT_TABLE } from './queries.js';
