import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { Logger } from '../../log.js';
import { datasetContext, type SimVillage } from './datasets.js';
import { writeDropFile } from './drop-folder.js';
import { startFrontDb, type FrontDb } from './front-db.js';
import { datasetSpec, SimDataset, startRestSimulator, type RestSimulator } from './rest-server.js';
import { switchesFromEnv, type Switches } from './switches.js';

/** The simulated REST systems: connector, dataset, the env prefix its definition reads, and its auth. */
export const REST_SYSTEMS: { connector: string; dataset: string; env: string; auth: 'bearer' | 'apikey' }[] = [
  { connector: 'household-register', dataset: 'household-register', env: 'HUITONG_HOUSEHOLD_API', auth: 'bearer' },
  { connector: 'enterprise-register', dataset: 'enterprise-register', env: 'HUITONG_ENTERPRISE_API', auth: 'apikey' },
  { connector: 'tax-income', dataset: 'tax-income', env: 'HUITONG_TAX_API', auth: 'bearer' },
  { connector: 'hrss-contribution', dataset: 'hrss-contribution', env: 'HUITONG_HRSS_API', auth: 'apikey' },
  { connector: 'vehicle-administration', dataset: 'vehicles', env: 'HUITONG_VEHICLE_API', auth: 'bearer' },
  { connector: 'grid-lengshuitan-components', dataset: 'grid-components', env: 'HUITONG_GRID_LST_API', auth: 'bearer' },
];

/** Drop-folder systems: connector folder and dataset. */
const DROPS: { connector: string; dataset: string; format: 'csv' | 'xlsx' }[] = [
  { connector: 'disabled-federation', dataset: 'disability-certificates', format: 'csv' },
  { connector: 'civil-affairs-assistance', dataset: 'assistance', format: 'xlsx' },
  { connector: 'health-medical-cost', dataset: 'medical-costs', format: 'csv' },
];

export interface DepartmentSimulators {
  /** Environment for the connector definitions: URLs, tokens, the front-end database and the drop folder. */
  env: Record<string, string>;
  rest: Map<string, RestSimulator>;
  frontDb: FrontDb;
  /** The front-end database as the `simulators` query and `setSimulatorSwitches` see it (its URL without the password). */
  frontDbHandle: { url: string; switches: object; setSwitches(changes: Record<string, unknown>): Promise<object> };
  close(): Promise<void>;
}

/**
 * Starts every simulated department system, fed from the synthetic city: a REST API per `rest`
 * connector (on free loopback ports, each with its own generated token), the front-end database
 * (`huitong_frontdb`, own role) and the drop folder (`<dataDir>/drop`, one export per `file`
 * connector on first start). Fault switches come from `HUITONG_SIM_*` at start.
 */
export async function startDepartmentSimulators(options: {
  adminUrl: string;
  /** The hub's database, for the city's villages. */
  pool: pg.Pool;
  dataDir: string;
  records: number;
  logger: Logger;
  env?: Record<string, string | undefined>;
}): Promise<DepartmentSimulators> {
  const env0 = options.env ?? process.env;
  const switches: Partial<Switches> = switchesFromEnv(env0);
  // The demo shows quarantine at work: 2% of records spoiled unless said otherwise.
  if (env0.HUITONG_SIM_MALFORMED_RATE === undefined) switches.malformedRate = 0.02;
  const { rows } = await options.pool.query<SimVillage>(
    `select code, left(code, 6) as "countyCode" from division where level = 'village' and code like '4311%' and valid_to is null order by code`,
  );
  const ctx = datasetContext(rows);
  const env: Record<string, string> = {};
  const rest = new Map<string, RestSimulator>();
  try {
    for (const system of REST_SYSTEMS) {
      const secret = randomBytes(12).toString('hex');
      const sim = await startRestSimulator(new SimDataset(system.dataset, datasetSpec(system.dataset), ctx, options.records), {
        ...(system.auth === 'bearer' ? { token: secret } : { apiKey: secret }),
        switches,
      });
      rest.set(system.connector, sim);
      env[`${system.env}_URL`] = sim.url;
      env[`${system.env}_${system.auth === 'bearer' ? 'TOKEN' : 'API_KEY'}`] = secret;
    }
    const frontDb = await startFrontDb(options.adminUrl, ctx, {
      rows: options.records,
      malformedRate: switches.malformedRate,
      duplicateRate: switches.duplicateRate,
      reorder: switches.reorder,
      down: switches.down,
    });
    const shown = new URL(frontDb.url);
    shown.password = '';
    env.HUITONG_FRONTDB_URL = frontDb.url;
    const drop = path.join(options.dataDir, 'drop');
    env.HUITONG_DROP_DIR = drop;
    for (const d of DROPS) {
      const folder = path.join(drop, d.connector);
      if (!existsSync(folder)) await writeDropFile(folder, d.dataset, ctx, { format: d.format, rows: Math.min(options.records, 1000), malformedRate: switches.malformedRate ?? 0 });
    }
    options.logger.info({ rest: [...rest.keys()], frontDb: 'huitong_frontdb', drop }, 'simulated department systems started');
    return {
      env,
      rest,
      frontDb,
      frontDbHandle: { url: shown.toString(), switches: frontDb.switches, setSwitches: (changes) => frontDb.setSwitches(changes) },
      async close() {
        await Promise.all([...rest.values()].map((s) => s.close()));
        await frontDb.close();
      },
    };
  } catch (err) {
    await Promise.all([...rest.values()].map((s) => s.close()));
    throw err;
  }
}
