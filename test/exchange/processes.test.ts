import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { datasetSpec, SimDataset, startRestSimulator, type RestSimulator } from '../../src/simulate/departments/index.js';
import { createTestDatabase } from '../support/hub.js';
import { count, exchangeDatabase } from './support.js';

const CLI = path.resolve(import.meta.dirname, '../../bin/huitong.js');
const run = promisify(execFile);
const TOTAL = 3000;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let hub: Awaited<ReturnType<typeof exchangeDatabase>>;
let sim: RestSimulator;
let dir: string;

beforeAll(async () => {
  hub = await exchangeDatabase();
  dir = await mkdtemp(path.join(tmpdir(), 'huitong-sync-cli-'));
  sim = await startRestSimulator(new SimDataset('vehicles', datasetSpec('vehicles'), hub.city, TOTAL), { token: 'v', switches: { malformedRate: 0.03, duplicateRate: 0.01, reorder: true } });
});
afterAll(async () => {
  await sim?.close();
  await hub?.drop();
  await rm(dir, { recursive: true, force: true });
});

const env = () => ({
  ...process.env,
  DATABASE_URL: hub.url,
  DATABASE_OWNER_URL: hub.ownerUrl,
  HUITONG_DATA_DIR: dir,
  LOG_LEVEL: 'silent',
  HUITONG_VEHICLE_API_URL: sim.url,
  HUITONG_VEHICLE_API_TOKEN: 'v',
});
const huitong = (...args: string[]) =>
  run(process.execPath, [CLI, ...args], { env: env() }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

/** What the hub holds for vehicles: current versions by plate, and how many versions each plate has. */
async function held() {
  const { rows } = await hub.db.pool.query<{ record_key: string; versions: string; payload: { ownerIdNumber: string } }>(
    `select record_key, count(*) over (partition by record_key) as versions, payload from department_record where resource_code = 'vehicles.vehicle' order by record_key`,
  );
  return rows;
}

describe('runs across real processes', () => {
  test('a sync killed with SIGKILL mid-run resumes from its last committed watermark: nothing lost, nothing twice', async () => {
    sim.setSwitches({ latencyMs: 40 });
    const child = spawn(process.execPath, [CLI, 'sync', 'vehicle-administration', '--batch-size', '50'], { env: env(), stdio: 'ignore' });
    try {
      // Wait until some batches have committed, then kill the process outright.
      for (let i = 0; i < 600; i++) {
        if ((await count(hub.db.pool, `select coalesce(max(fetched), 0) n from sync_run where connector = 'vehicle-administration'`)) >= 400) break;
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    sim.setSwitches({ latencyMs: 0 });
    const committed = await count(hub.db.pool, `select fetched n from sync_run where connector = 'vehicle-administration'`);
    expect(committed).toBeGreaterThanOrEqual(400);
    expect(committed).toBeLessThan(TOTAL);
    const partial = await held();
    expect(partial.length).toBeGreaterThan(0);

    const resumed = await huitong('sync', 'vehicle-administration', '--batch-size', '200');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/succeeded/);
    const { rows: runs } = await hub.db.pool.query(`select state, error, fetched::int, applied::int, unchanged::int, quarantined::int from sync_run where connector = 'vehicle-administration' order by id`);
    expect(runs[0].state).toBe('failed');
    expect(runs[0].error).toMatch(/interrupted/);
    expect(runs[1].state).toBe('succeeded');
    // The resumed run read only what the killed one had not committed.
    const served = [...sim.dataset.all()];
    const malformed = served.filter((r) => sim.malformed(r.index));
    const after = await held();
    expect(after.every((r) => Number(r.versions) === 1)).toBe(true);
    expect(after.map((r) => r.record_key)).toEqual(served.filter((r) => !sim.malformed(r.index)).map((r) => r.key).sort());
    for (const r of runs) expect(r.fetched).toBe(r.applied + r.unchanged + r.quarantined);
    expect(runs[0].applied + runs[1].applied).toBe(TOTAL - malformed.length);
    expect(await count(hub.db.pool, `select count(distinct source_key) n from quarantine_record where connector = 'vehicle-administration'`)).toBe(malformed.length);

    // Reconciliation: everything re-read, nothing new to apply, which proves nothing was lost.
    const full = await huitong('sync', 'vehicle-administration', '--full');
    expect(full.code).toBe(0);
    expect(full.stdout).toMatch(/reconciliation: the hub agreed with the source/);
  }, 120_000);

  test('two processes started together: one runs the connector, the other is refused and exits 1', async () => {
    sim.setSwitches({ latencyMs: 150 });
    try {
      const [a, b] = await Promise.all([huitong('sync', 'vehicle-administration', '--full', '--batch-size', '100'), huitong('sync', 'vehicle-administration', '--full', '--batch-size', '100')]);
      const codes = [a.code, b.code].sort();
      expect(codes).toEqual([0, 1]);
      const refused = a.code === 1 ? a : b;
      expect(refused.stderr).toMatch(/running in another hub process/);
    } finally {
      sim.setSwitches({ latencyMs: 0 });
    }
    const { rows } = await hub.db.pool.query(`select count(*)::int n from sync_run where connector = 'vehicle-administration' and full_sync and state = 'succeeded'`);
    expect(rows[0].n).toBe(2);
  }, 120_000);
});
