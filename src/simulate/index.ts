export { loadDemo, markDemoLoaded, DEMO_PERSONS } from './demo.js';
export { seedCity, type CityOptions, type CityCounts } from './city.js';
export { seedSpatial, type SpatialSeeded } from './spatial.js';
export { grantAccess, grantDemoAccess, type GrantDeclaration } from './grants.js';
