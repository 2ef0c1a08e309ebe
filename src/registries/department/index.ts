// Department data that is not a base library: records read by subject, lookups asked at query
// time, and the part of the contract generated from the catalogue.
export { upsertDepartmentRecord, readDepartmentRecords, type DepartmentRecord, type DepartmentRecordInput } from './records.js';
export {
  createLookupSources, readLookupDefinitions, LookupSource, LookupSources, CONNECTORS_DIR,
  type LookupAnswer, type LookupDefinition, type LookupFailure, type LookupRoute,
} from './lookup.js';
export { contractNames, departmentResolvers, departmentTypeDefs, exposedResources, subjectItemOf, type ContractNames, type ExposedResource } from './exposure.js';
export { financialAssets, lookupSource, type FinancialAssets } from './read.js';
