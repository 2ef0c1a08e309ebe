export { startLookupSimulator, switchesFromEnv, depositsOf, securitiesOf, type LookupSimulator, type LookupSwitches } from './server.js';
