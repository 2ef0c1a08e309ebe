export { createConsoleRoutes } from './http.js';
export { serveAsset } from './assets.js';
export { citizenResolvers, useCitizenScope, rootFields, MY_ACCESS_LOG } from './citizen.js';
export { consoleResolvers } from './graphql.js';
export { sheetImportResolvers } from './sheet-import.js';
