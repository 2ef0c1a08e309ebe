// Department data that is not a base library: records read by subject, lookups asked at query
// time, and the part of the contract generated from the catalogue.
export { upsertDepartmentRecord, readDepartmentRecords, type DepartmentRecord, type DepartmentRecordInput } from './records.js';
export {
  createLookupSources, readLookupDefinitions, LookupSource, LookupSources, CONNECTORS_DIR,
  type LookupAnswer, type LookupChecks, type LookupDefinition, type LookupFailure, type LookupRoute, type RecordCheck,
} from './lookup.js';
export { contractNames, departmentResolvers, departmentTypeDefs, exposedResources, subjectItemOf, type ContractNames, type ExposedResource } from './exposure.js';
export { financialAssets, lookupSource, type FinancialAssets } from './read.js';
export { lookupChecks } from './checks.js';
