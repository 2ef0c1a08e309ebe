import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { batchCsv, batchProgress, createBatch, prepareJobQueue, startBatchWorker } from '../../src/verification/batch.js';
import { verificationService } from '../../src/verification/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { contribution, deliveredOnce, household, pension, startFinancialSource } from './support.js';
import type { LookupSimulator } from '../../src/simulate/lookups/index.js';

const CLI = path.resolve(import.meta.dirname, '../../bin/huitong.js');

let hub: TestHub;
let bank: LookupSimulator;
beforeAll(async () => {
  const source = await startFinancialSource();
  bank = source.bank;
  hub = await startTestHub({ HUITONG_VERIFY_BATCH_CHUNK: '10' }, { lookups: source.lookups });
  await prepareJobQueue(hub.owner.url);
  await deliveredOnce(hub.owner.pool);
});
afterAll(async () => {
  await hub?.close();
  await bank?.close();
});

const civil = () => hub.as('civil-affairs', { purpose: 'low-income-verification', caseNumber: 'YZ-REVIEW-2026' });
const caller = { department: 'civil-affairs', system: 'test', purpose: 'low-income-verification', caseNumber: 'YZ-REVIEW-2026' };

/** `n` couples; every third has an income over the standard. */
async function couples(n: number) {
  const out: { applicant: string; declaredMembers: string[] }[] = [];
  for (let i = 0; i < n; i++) {
    const [a, b] = await household(hub.owner.pool, [{}, {}]);
    await contribution(hub.owner.pool, a, i % 3 === 2 ? 4000 : 1000);
    out.push({ applicant: a, declaredMembers: [b] });
  }
  return out;
}

const until = async (check: () => Promise<boolean>, ms = 60_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('batch verification', () => {
  test('through GraphQL: progress, pause and resume, a summary against previous verdicts, and a CSV', async () => {
    const households = await couples(30);
    // Household 0 was eligible last year and now earns more: newly ineligible.
    await civil().query(`mutation($a: String!, $m: [String!]!) { verifyHousehold(applicant: $a, declaredMembers: $m) { verdict } }`, { a: households[0].applicant, m: households[0].declaredMembers });
    await pension(hub.owner.pool, households[0].applicant, 3000);

    const started = await civil().query(`mutation($h: [BatchHouseholdInput!]) { startVerificationBatch(name: "2026年度复核", households: $h) { id state total done } }`, { h: households });
    expect(started.errors).toBeUndefined();
    const { id } = started.data.startVerificationBatch;
    expect(started.data.startVerificationBatch).toMatchObject({ state: 'RUNNING', total: 30, done: 0 });

    const paused = await civil().query(`mutation($id: ID!) { pauseVerificationBatch(id: $id) { state } }`, { id });
    expect(paused.data.pauseVerificationBatch.state).toBe('PAUSED');
    const { verifier } = verificationService(hub.services);
    const worker = await startBatchWorker({ pool: hub.db.pool, verifier, audit: hub.services.audit.log, logger: hub.services.logger, staleMs: 2000 });
    try {
      await new Promise((r) => setTimeout(r, 800));
      expect((await batchProgress(hub.db.pool, id))!.done).toBe(0); // paused: nothing started

      await civil().query(`mutation($id: ID!) { resumeVerificationBatch(id: $id) { state } }`, { id });
      await until(async () => (await batchProgress(hub.db.pool, id))!.state === 'DONE');
    } finally {
      await worker.stop();
    }
    const res = await civil().query(`query($id: ID!) { verificationBatch(id: $id) { state total done rate etaSeconds finishedAt csvPath summary { eligible notEligible incomplete newlyIneligible newlyEligible unchanged } } }`, { id });
    const batch = res.data.verificationBatch;
    expect(batch).toMatchObject({ state: 'DONE', total: 30, done: 30, etaSeconds: 0 });
    expect(batch.rate).toBeGreaterThan(0);
    expect(batch.summary).toEqual({ eligible: 19, notEligible: 11, incomplete: 0, newlyIneligible: 1, newlyEligible: 19, unchanged: 0 });

    const csv = (await batchCsv(hub.db.pool, id))!.csv.split('\n');
    expect(csv[0]).toContain('applicant_id_number,previous_verdict,verdict,change');
    expect(csv[1]).toContain(`${households[0].applicant},ELIGIBLE,NOT_ELIGIBLE,newly-ineligible`);
    expect(csv.filter(Boolean)).toHaveLength(31);

    // Each chunk's audit entry is under the batch's purpose and case number, naming its members.
    const entries = await hub.audit.entriesAbout(households[5].declaredMembers[0]);
    expect(entries.at(-1)).toMatchObject({ department: 'civil-affairs', purpose: 'low-income-verification' });
  });

  test('a process killed mid-batch: after a restart every household is verified exactly once', async () => {
    const households = await couples(120);
    const id = await createBatch(hub.db.pool, { name: 'kill test', households, caller, chunk: 10 });
    bank.set({ latencyMs: 40 }); // slow enough to be killed part-way
    const env = {
      ...process.env,
      DATABASE_URL: hub.db.url,
      DATABASE_OWNER_URL: hub.owner.url,
      HUITONG_DATA_DIR: hub.config.dataDir,
      FINANCIAL_INSTITUTIONS_URL: bank.url,
      HUITONG_VERIFY_BATCH_CHUNK: '10',
      HUITONG_VERIFY_WORKERS: '2',
      HUITONG_VERIFY_WORKER_STALE_MS: '1500',
      HUITONG_DEV_ISSUER: 'false',
      LOG_LEVEL: 'silent',
    };
    const runBatch = () => spawn(process.execPath, [CLI, 'verify', 'batch', '--resume', id], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const first = runBatch();
    const firstExit = exited(first);
    await until(async () => (await batchProgress(hub.db.pool, id))!.done >= 30);
    first.kill('SIGKILL');
    await firstExit;
    const atKill = (await batchProgress(hub.db.pool, id))!.done;
    expect(atKill).toBeGreaterThanOrEqual(30);
    expect(atKill).toBeLessThan(120);

    bank.set({ latencyMs: 0 });
    const second = runBatch();
    let out = '';
    second.stdout!.on('data', (c) => (out += c));
    second.stderr!.on('data', (c) => (out += c));
    expect(await exited(second)).toBe(0);
    expect(out).toContain('"state":"DONE"');

    const { rows: counts } = await hub.owner.pool.query(
      `select i.applicant_id_number, count(v.reference)::int as n from verification_batch_item i
       left join verification v on v.batch_id = i.batch_id and v.applicant_id_number = i.applicant_id_number
       where i.batch_id = $1 group by 1`,
      [id],
    );
    expect(counts).toHaveLength(120);
    expect(counts.filter((c) => c.n !== 1)).toEqual([]);
    const { rows: [items] } = await hub.owner.pool.query(
      `select count(*) filter (where status = 'done' and reference is not null)::int as done, count(*)::int as total from verification_batch_item where batch_id = $1`,
      [id],
    );
    expect(items).toEqual({ done: 120, total: 120 });
    expect((await batchProgress(hub.db.pool, id))!.state).toBe('DONE');
  }, 120_000);
});
