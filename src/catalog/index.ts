export { catalogEntities, type Department, type Purpose } from './entities.js';
export { syncRegisters, CatalogFileError, CATALOG_DIR } from './registers.js';
export {
  checkDeclaration,
  compileRecordSchema,
  declarationSchema,
  DeclarationError,
  formatProblem,
  type DataItem,
  type DeclarationProblem,
  type ResourceDeclaration,
} from './declaration.js';
export { applyDeclarations, retireResource, syncResources, RESOURCES_DIR, type Outcome } from './resources.js';
export { CatalogState } from './state.js';
export { catalogResolvers } from './graphql.js';
export { addWorkingDays } from './working-days.js';
export { dcatCatalog, dcatDataset } from './dcat.js';
export { importCatalog, readCatalogSheet, RESOURCE_COLUMNS as SHEET_RESOURCE_COLUMNS, ITEM_COLUMNS as SHEET_ITEM_COLUMNS, type RowReport } from './spreadsheet.js';
export { requestAccess, approveRequest, rejectRequest, revokeGrant, type AccessRequestInput, type Approval } from './requests.js';
export { recordValidator, type RecordValidator } from './record-validator.js';
