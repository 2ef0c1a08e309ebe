export { createHubYoga, listen, type HubOptions, type HubYoga, type RunningServer } from './app.js';
export type { HubContext, HubServices } from './context.js';
export { HubError, badUserInput, notFound, purposeRequired, sourceUnavailable, unauthenticated, type ErrorCode } from './errors.js';
export { perRequest } from './per-request.js';
export { buildSchema } from './schema.js';
export { hubJwks, JWKS_PATH } from './jwks.js';
