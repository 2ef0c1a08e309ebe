import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runConnector } from '../../src/exchange/index.js';
import { datasetSpec, isMalformed, writeDropFile } from '../../src/simulate/departments/index.js';
import { count, definition, exchangeDatabase, silent } from './support.js';

let hub: Awaited<ReturnType<typeof exchangeDatabase>>;
let drop: string;

beforeAll(async () => {
  hub = await exchangeDatabase();
  drop = await mkdtemp(path.join(tmpdir(), 'huitong-drop-'));
});
afterAll(async () => {
  await hub?.drop();
  await rm(drop, { recursive: true, force: true });
});

const env = () => ({ HUITONG_DROP_DIR: drop });

describe('a file connector taking CSV and XLSX from a drop folder', () => {
  test('a CSV is taken in once: rows applied, bad rows quarantined, the file moved to done/ with its report', async () => {
    const folder = path.join(drop, 'health-medical-cost');
    const file = await writeDropFile(folder, 'medical-costs', hub.city, { format: 'csv', rows: 300, malformedRate: 0.05, shortRows: [7] });
    const kept = path.join(drop, 'copy.csv');
    await copyFile(file, kept);
    const result = await runConnector(hub.db.pool, silent, definition('health-medical-cost', { batchSize: 64 }), { startedBy: 'test', env: env() });
    expect(result.state).toBe('succeeded');
    const malformed = Array.from({ length: 300 }, (_, i) => i).filter((i) => i !== 7 && isMalformed(i, 0.05, hub.city.seed)).length;
    expect(result.state === 'succeeded' && result.counts).toMatchObject({ fetched: 300, quarantined: malformed + 1, applied: 300 - malformed - 1 });
    expect(existsSync(file)).toBe(false);
    const report = JSON.parse(await readFile(path.join(folder, 'done', `${path.basename(file)}.report.json`), 'utf8'));
    expect(report).toMatchObject({ outcome: 'done', rows: 300, quarantined: malformed + 1 });
    expect(await count(hub.db.pool, `select count(*) n from quarantine_record where run_id = $1 and step = 'parse'`, [result.runId])).toBe(1);

    // The same file dropped again: recognised by its checksum, nothing applied again.
    await copyFile(kept, path.join(folder, 'again.csv'));
    const again = await runConnector(hub.db.pool, silent, definition('health-medical-cost'), { startedBy: 'test', env: env() });
    expect(again.state === 'succeeded' && again.counts.fetched).toBe(0);
    const report2 = JSON.parse(await readFile(path.join(folder, 'done', 'again.csv.report.json'), 'utf8'));
    expect(report2.outcome).toBe('already taken in');
    expect(await count(hub.db.pool, `select count(*) n from department_record where resource_code = 'health.medical-cost'`)).toBe(300 - malformed - 1);
  });

  test('an XLSX is read too; a file that cannot be read is moved to rejected/ with the reason', async () => {
    const folder = path.join(drop, 'civil-affairs-assistance');
    await writeDropFile(folder, 'assistance', hub.city, { format: 'xlsx', rows: 120 });
    await writeFile(path.join(folder, 'broken.xlsx'), 'this is not a spreadsheet');
    const result = await runConnector(hub.db.pool, silent, definition('civil-affairs-assistance'), { startedBy: 'test', env: env() });
    expect(result.state === 'succeeded' && result.counts).toMatchObject({ fetched: 120, applied: 120, quarantined: 0 });
    expect(await readdir(path.join(folder, 'rejected'))).toEqual(['broken.xlsx', 'broken.xlsx.report.json']);
    const r = datasetSpec('assistance').record(0, hub.city);
    const { rows } = await hub.db.pool.query(`select payload from department_record where resource_code = 'civil-affairs.assistance' and record_key = $1`, [r.ajbh]);
    expect(rows[0].payload).toMatchObject({ caseNumber: r.ajbh, applicantIdNumber: r.sqrsfzh, householdSize: r.jtrk, endsOn: null });
  });
});
