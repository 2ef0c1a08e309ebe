export { loadDefinitions, checkDefinition, DefinitionError, formatDefinitionProblem, CONNECTORS_DIR, sourceSystem, type ConnectorDefinition, type DefinitionProblem } from './definition.js';
export { runConnector, type RunOptions, type RunResult, type RunCounts } from './runner.js';
export { targetFor, departmentRecordTarget, BASE_LIBRARY_TARGETS } from './targets.js';
export { mapRecord } from './mapping.js';
export { Exchange, listRuns, listQuarantine, quarantinedById, quarantineLookupAnswer, runById, QuarantineError, type LookupQuarantine, type SyncRunRow, type QuarantinedRow, type SimulatorHandle } from './service.js';
export { scheduleConnectors } from './scheduler.js';
export { exchangeResolvers } from './graphql.js';
