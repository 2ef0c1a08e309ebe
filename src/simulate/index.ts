export { loadDemo } from './demo.js';
