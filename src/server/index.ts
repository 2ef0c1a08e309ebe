export { createHubYoga, listen, type HubYoga, type RunningServer } from './app.js';
export type { HubContext, HubServices } from './context.js';
export { HubError, badUserInput, notFound, sourceUnavailable, type ErrorCode } from './errors.js';
export { perRequest } from './per-request.js';
