export { loadDevIssuer, DEV_ISSUER, ROLES, type DevIssuer, type Role } from './dev-issuer.js';
export { AccessSession, type Principal, type StatedPurpose, type FieldRelease, type Touched } from './session.js';
export { guardResourceFields } from './guard.js';
