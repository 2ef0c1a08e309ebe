export { loadDemo } from './demo.js';
export { seedSpatial, type SpatialSeeded } from './spatial.js';
