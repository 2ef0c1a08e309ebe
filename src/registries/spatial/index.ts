export { loadDivisions, type DivisionLevel, type DivisionRow } from './divisions.js';
