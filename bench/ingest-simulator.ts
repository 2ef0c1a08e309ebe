/**
 * The `rest` department system of `bench/ingest.ts`, in a process of its own so that the hub's
 * peak RSS is the hub's alone: serves `INGEST_N` generated records of one dataset and prints its
 * URL as the first line on stdout.
 */
import pg from 'pg';
import { datasetContext, datasetSpec, SimDataset, startRestSimulator } from '../src/simulate/departments/index.js';

const n = Number(process.env.INGEST_N ?? 1_000_000);
const dataset = process.env.INGEST_DATASET ?? 'tax-income';
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
const { rows } = await pool.query(`select code, left(code, 6) as "countyCode" from division where level = 'village' and code like '4311%' order by code`);
await pool.end();
const sim = await startRestSimulator(new SimDataset(dataset, datasetSpec(dataset), datasetContext(rows), n), { token: 'bench' });
process.stdout.write(`${sim.url}\n`);
process.on('SIGTERM', () => void sim.close().then(() => process.exit(0)));
