export { loadDevIssuer, DEV_ISSUER, ROLES, type DevIssuer, type Role } from './dev-issuer.js';
export { AccessSession, type Principal, type StatedPurpose, type FieldRelease, type Touched } from './session.js';
export { guardResourceFields } from './guard.js';
export { ACCEPTED_ALGORITHMS, type AcceptedAlgorithm } from './algorithms.js';
export { TokenRefused, TokenVerifier, type RefusalReason } from './tokens.js';
export { PurposeRefused, readsResource, type PurposeProblem } from './purpose.js';
export { registerSystemKey, SystemKeys, type SystemKey } from './keys.js';
export { Registers } from './registers.js';
export { createIdentity, openAccessSession, type Identity, type IdentityOptions } from './identity.js';
