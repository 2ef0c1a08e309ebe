export { catalogEntities, type Department, type Purpose } from './entities.js';
export { syncRegisters, CatalogFileError, CATALOG_DIR } from './registers.js';
