export { createOpenPortal, dcatFeed, toCsv, type OpenPortal, type PortalOptions } from './portal.js';
export { openRows, readOpenDatasets, OpenDataError, OPEN_DIR, type OpenDataset, type OpenColumn, type OpenRow, type ChartSpec } from './datasets.js';
