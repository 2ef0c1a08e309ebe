export { loadDevIssuer, DEV_ISSUER, ROLES, type DevIssuer, type Role } from './dev-issuer.js';
