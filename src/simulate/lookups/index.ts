export { startLookupSimulator, switchesFromEnv, depositsOf, securitiesOf, accountsOf, type Holdings, type LookupSimulator, type LookupSwitches } from './server.js';
