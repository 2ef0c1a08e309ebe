import type pg from 'pg';
import type { FinancialSimulator } from './financial-simulator.js';

/** Sets the simulated gateway's holdings for the demo households (filled in by `seedVerificationDemo`). */
export async function demoFinancialHoldings(_pool: pg.Pool, _simulator: FinancialSimulator): Promise<void> {}
