export { loadDevIssuer, DEV_ISSUER, ROLES, type DevIssuer, type Role } from './dev-issuer.js';
export {
  AccessSession,
  hubToday,
  type Principal,
  type StatedPurpose,
  type FieldSite,
  type Touched,
  type PolicySource,
  type DecisionBook,
  newDecisionBook,
  type AccessReport,
  type ArgumentRoute,
  type Holder,
  subjectKey,
  CITIZEN_DEPARTMENT,
} from './session.js';
export { guardResourceFields, guardOf, CONTROL_ARGUMENTS, type GuardDecision } from './guard.js';
export { schemaReach, type SchemaReach } from './reach.js';
export { decideField, type FieldDecision, type FieldQuestion, type Grant, type ResourcePolicy, type WithholdReason } from './decide-field.js';
export { applyMask, maskIdNumber, maskMobile, maskName, type DisplayMask } from './mask.js';
export { ACCEPTED_ALGORITHMS, type AcceptedAlgorithm } from './algorithms.js';
export { TokenRefused, TokenVerifier, type RefusalReason } from './tokens.js';
export { PurposeRefused, readsResource, type PurposeProblem } from './purpose.js';
export { registerSystemKey, revokeSystemKey, SystemKeys, type SystemKey } from './keys.js';
export { Registers } from './registers.js';
export { createIdentity, openAccessSession, type Identity, type IdentityOptions } from './identity.js';
