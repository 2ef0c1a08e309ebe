// Types only: the entity schemas bring MikroORM, which only the migrator needs (db/index imports them).
export type { Department, Purpose } from './entities.js';
export { syncRegisters, CatalogFileError, CATALOG_DIR } from './registers.js';
export {
  checkDeclaration,
  compileRecordSchema,
  readRecordSchema,
  declarationSchema,
  DeclarationError,
  formatProblem,
  type DataItem,
  type DeclarationProblem,
  type ResourceDeclaration,
} from './declaration.js';
export { applyDeclarations, retireResourceIn, syncResources, RESOURCES_DIR, type Outcome, type Change } from './resources.js';
export { auditedChange, changeDraft, fixtureTrail, openCommandTrail, type ChangeActor, type ChangeTrail } from './changes.js';
export { CatalogState } from './state.js';
export { catalogResolvers } from './graphql.js';
export { addWorkingDays, calendarPublished, isWorkingDay, reloadCalendar } from './working-days.js';
export { dcatCatalog, dcatDataset } from './dcat.js';
export { importCatalog, readCatalogSheet, RESOURCE_COLUMNS as SHEET_RESOURCE_COLUMNS, ITEM_COLUMNS as SHEET_ITEM_COLUMNS, type RowReport } from './spreadsheet.js';
export { requestAccess, approveRequest, checkDate, lastAllowedDay, DEFAULT_GRANT_RULES, type AccessRequestInput, type Approval, type FixtureTrail, type GrantRules } from './requests.js';
export { recordValidator, type RecordValidator } from './record-validator.js';
