export { DATASETS, datasetContext, isMalformed, personAt, updatedAtOf, type DatasetContext, type DatasetSpec, type SimVillage, type SourceRecord } from './datasets.js';
export { SimDataset, startRestSimulator, datasetSpec, type RestSimulator, type RestSimulatorOptions } from './rest-server.js';
export { DEFAULT_SWITCHES, applySwitch, switchesFromEnv, type Switches } from './switches.js';
export { startFrontDb, FRONT_TABLES, type FrontDb, type FrontDbOptions, type FrontDbSwitches } from './front-db.js';
export { dropFileSlowly, encodeGbk, writeDropFile, type DropOptions } from './drop-folder.js';
export { startDepartmentSimulators, REST_SYSTEMS, type DepartmentSimulators } from './start.js';
