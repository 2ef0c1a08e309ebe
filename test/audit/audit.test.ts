import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadHubKey, verifyChain } from '../../src/audit/index.js';
import { createLogger } from '../../src/log.js';
import { serveHub } from '../../src/main.js';
import { startTestHub, type TestHub } from '../support/hub.js';

const CLI = path.resolve(import.meta.dirname, '../../bin/huitong.js');
const run = promisify(execFile);
const AUDIT_TABLES = ['audit_entry', 'audit_checkpoint', 'audit_head'];
const DIVISION = 'query Lookup($code: ID!) { division(code: $code) { code name } }';

/**
 * Changes audit rows as the tables' owner could (not the hub's own role, which may only append):
 * with the append-only triggers switched off.
 */
async function asOwner(hub: TestHub, sql: string, params: unknown[] = []): Promise<void> {
  const client = await hub.owner.pool.connect();
  try {
    await client.query('begin');
    for (const table of AUDIT_TABLES) await client.query(`alter table ${table} disable trigger user`);
    await client.query(sql, params);
    for (const table of AUDIT_TABLES) await client.query(`alter table ${table} enable trigger user`);
    await client.query('commit');
  } finally {
    client.release();
  }
}

const entries = async (hub: TestHub) =>
  (await hub.db.pool.query(`select seq::int, department, system, purpose, case_number, operation_name, resources, subjects, result_size, outcome from audit_entry order by seq`)).rows;
/** As `huitong audit verify` does: with the checkpoints kept outside the database, and those expected by count. */
const verify = async (hub: TestHub) =>
  verifyChain(hub.db.pool, await loadHubKey(hub.config.dataDir), {
    anchors: (await hub.services.audit.checkpointFile.read()).checkpoints,
    checkpointEvery: hub.config.auditCheckpointEvery,
  });
const cliEnv = (hub: TestHub) => ({
  ...process.env,
  DATABASE_URL: hub.db.url,
  DATABASE_OWNER_URL: hub.owner.url,
  HUITONG_DATA_DIR: hub.config.dataDir,
  HUITONG_AUDIT_CHECKPOINT_EVERY: String(hub.config.auditCheckpointEvery),
});
const cliVerify = (hub: TestHub) =>
  run(process.execPath, [CLI, 'audit', 'verify'], { env: cliEnv(hub) }).catch((err: { code: number; stderr: string }) => err) as Promise<{
    code?: number;
    stdout?: string;
    stderr?: string;
  }>;

describe('every access to protected data is recorded before it is answered', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(() => hub?.close());

  test('a division look-up leaves one entry naming who, why, what and about whom', async () => {
    const res = await hub
      .as('statistics', { system: 'tj-platform', purpose: 'statistical-analysis', caseNumber: 'TJ-2026-014' })
      .query(DIVISION, { code: '431103' });
    expect(res.data.division).toEqual({ code: '431103', name: '冷水滩区' });
    // The answer was sent after the entry was committed, so it is there already.
    expect(await entries(hub)).toEqual([
      {
        seq: 1,
        department: 'statistics',
        system: 'tj-platform',
        purpose: 'statistical-analysis',
        case_number: 'TJ-2026-014',
        operation_name: 'Lookup',
        resources: [{ resource: 'spatial.division', fields: ['arg:code', 'code', 'name'], subjects: ['431103'] }],
        subjects: ['431103'],
        result_size: Buffer.byteLength(JSON.stringify(res.data)),
        outcome: 'ok',
      },
    ]);
  });

  test('a refused attempt is recorded with its outcome', async () => {
    const res = await hub.as('statistics').query(DIVISION, { code: '431100' });
    expect(res.errors?.[0].extensions?.code).toBe('PURPOSE_REQUIRED');
    const last = (await entries(hub)).at(-1);
    expect(last).toMatchObject({ department: 'statistics', purpose: null, subjects: [], result_size: 0, outcome: 'denied:PURPOSE_REQUIRED' });
  });

  test('a query that reads no protected data leaves no entry', async () => {
    const before = (await entries(hub)).length;
    await hub.as('statistics').query('{ hub { name } }');
    expect(await entries(hub)).toHaveLength(before);
  });

  test('the database refuses UPDATE, DELETE and TRUNCATE on the audit trail, even to its owner while the triggers are on', async () => {
    await expect(hub.owner.pool.query(`update audit_entry set department = 'tax' where seq = 1`)).rejects.toThrow(/append-only/);
    await expect(hub.owner.pool.query(`delete from audit_entry where seq = 1`)).rejects.toThrow(/append-only/);
    await expect(hub.owner.pool.query(`truncate audit_entry`)).rejects.toThrow(/append-only/);
    await expect(hub.owner.pool.query(`delete from audit_checkpoint`)).rejects.toThrow(/append-only/);
    expect((await entries(hub))[0].department).toBe('statistics');
  });

  test("the hub's own role may only append to and read the log, and cannot move the head or switch the triggers off", async () => {
    const runtime = hub.db.pool;
    await expect(runtime.query('alter table audit_entry disable trigger user')).rejects.toThrow(/must be owner/);
    await expect(runtime.query('alter table audit_head disable trigger user')).rejects.toThrow(/must be owner/);
    await expect(runtime.query(`update audit_head set seq = 0`)).rejects.toThrow(/permission denied/);
    await expect(runtime.query(`delete from audit_entry`)).rejects.toThrow(/permission denied/);
    await expect(runtime.query(`truncate audit_checkpoint`)).rejects.toThrow(/permission denied/);
    await expect(runtime.query(`select * from audit_head for update`)).rejects.toThrow(/permission denied/);
    // Through the append function, the head moves only forward by the entries appended.
    const head = (await runtime.query('select seq, hash from audit_head')).rows[0];
    await expect(runtime.query(`select audit_append($1, $2, '[]', 0, repeat('0', 64), null)`, [head.seq, head.hash])).rejects.toThrow(/consecutive/);
    // Even the owner cannot move the head back while the triggers are on.
    await expect(hub.owner.pool.query(`update audit_head set seq = 0`)).rejects.toThrow(/only moves forward/);
    await expect(hub.owner.pool.query(`delete from audit_head`)).rejects.toThrow(/cannot be removed/);
    expect((await runtime.query('select seq from audit_head')).rows[0].seq).toBe(head.seq);
  });

  test('if the audit trail cannot be written, the request fails and no data goes out', async () => {
    await hub.owner.pool.query('alter table audit_entry rename to audit_entry_away');
    try {
      const res = await hub.as('statistics', { purpose: 'statistical-analysis' }).query(DIVISION, { code: '431103' });
      expect(res.status).toBe(503);
      expect(res.errors?.[0].extensions?.code).toBe('AUDIT_UNAVAILABLE');
      expect(res.data ?? null).toBeNull();
      expect(JSON.stringify(res)).not.toContain('冷水滩区');
    } finally {
      await hub.owner.pool.query('alter table audit_entry_away rename to audit_entry');
    }
  });
});

describe('the chain proves what was written', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ HUITONG_AUDIT_CHECKPOINT_EVERY: '5' });
    const caller = hub.as('civil-affairs', { purpose: 'low-income-verification', caseNumber: 'YZ-2026-0001' });
    for (const code of ['431100', '431102', '431103', '431121', '431122', '431123', '431124', '431125', '431126', '431127', '431128', '431129']) {
      await caller.query(DIVISION, { code });
    }
  });
  afterAll(() => hub?.close());

  const auditor = () => hub.as('data-bureau', { roles: ['auditor'] });
  const VERIFY = '{ auditVerification { ok entries checkpoints firstBreak { seq problem } } }';

  test('an untouched chain verifies, with a signed checkpoint every 5 entries', async () => {
    expect(await verify(hub)).toMatchObject({ ok: true, entries: 12, checkpoints: 2 });
    expect(await hub.audit.entriesAbout('431103')).toMatchObject([{ seq: 3, department: 'civil-affairs', purpose: 'low-income-verification' }]);
    const res = await auditor().query(VERIFY);
    expect(res.data.auditVerification).toEqual({ ok: true, entries: 12, checkpoints: 2, firstBreak: null });
  });

  test("the auditor's verification is itself in the audit trail", async () => {
    expect(await entries(hub)).toHaveLength(13);
    expect((await entries(hub)).at(-1)).toMatchObject({
      seq: 13,
      department: 'data-bureau',
      purpose: null,
      resources: [{ resource: 'audit.verification', fields: ['auditVerification'], subjects: [] }],
      outcome: 'ok',
    });
  });

  test('a quiet chain is signed on the timer too, up to its head', async () => {
    await hub.services.audit.log.checkpointHead();
    await hub.services.audit.log.checkpointHead(); // the head is signed already: nothing new
    const { rows } = await hub.db.pool.query('select seq::int from audit_checkpoint order by seq');
    expect(rows.map((r) => r.seq)).toEqual([5, 10, 13]);
    expect(await verify(hub)).toMatchObject({ ok: true, entries: 13, checkpoints: 3 });
  });

  test('only auditors may verify the chain or read the access log', async () => {
    const res = await hub.as('civil-affairs').query(VERIFY);
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const log = await hub.as('civil-affairs').query('{ accessLog(subject: "431103") { edges { cursor } } }');
    expect(log.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  test('the data tracker lists who accessed a subject, when, why and which fields', async () => {
    const res = await auditor().query(`{ accessLog(subject: "431103") {
      edges { node { seq at department system purpose caseNumber operationName resources { resource fields } outcome } }
      pageInfo { hasNextPage } } }`);
    expect(res.data.accessLog.edges).toEqual([
      {
        node: {
          seq: 3,
          at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          department: 'civil-affairs',
          system: 'civil-affairs-system',
          purpose: 'low-income-verification',
          caseNumber: 'YZ-2026-0001',
          operationName: 'Lookup',
          resources: [{ resource: 'spatial.division', fields: ['arg:code', 'code', 'name'] }],
          outcome: 'ok',
        },
      },
    ]);
    expect(res.data.accessLog.pageInfo.hasNextPage).toBe(false);
    // The auditor's look-up is recorded too, naming whom it was about: the next look-up shows it.
    const again = await auditor().query('{ accessLog(subject: "431103") { edges { node { department resources { resource fields } } } } }');
    expect(again.data.accessLog.edges[0].node).toEqual({ department: 'data-bureau', resources: [{ resource: 'audit.access-log', fields: ['accessLog'] }] });
  });

  test('a row changed by the owner is found and named, by the query and by `huitong audit verify`', async () => {
    await asOwner(hub, `update audit_entry set purpose = 'statistical-analysis' where seq = 7`);
    expect((await verify(hub)).firstBreak).toMatchObject({ seq: 7, problem: 'changed' });
    const res = await auditor().query(VERIFY);
    expect(res.data.auditVerification).toMatchObject({ ok: false, firstBreak: { seq: 7, problem: 'changed' } });
    const failed = await cliVerify(hub);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain('audit chain broken at entry 7 (changed)');
    await asOwner(hub, `update audit_entry set purpose = 'low-income-verification' where seq = 7`);
    expect(await verify(hub)).toMatchObject({ ok: true });
  });

  test('a removed row is named', async () => {
    const { rows } = await hub.db.pool.query('select * from audit_entry where seq = 4');
    await asOwner(hub, 'delete from audit_entry where seq = 4');
    expect((await verify(hub)).firstBreak).toMatchObject({ seq: 4, problem: 'removed' });
    await asOwner(hub, 'insert into audit_entry select * from jsonb_populate_record(null::audit_entry, $1::jsonb)', [JSON.stringify(rows[0])]);
    expect(await verify(hub)).toMatchObject({ ok: true });
  });

  test('rows swapped in place are named', async () => {
    await asOwner(hub, `update audit_entry set seq = case seq when 8 then 9 else 8 end + 1000 where seq in (8, 9)`);
    await asOwner(hub, `update audit_entry set seq = seq - 1000 where seq > 1000`);
    expect((await verify(hub)).firstBreak).toMatchObject({ seq: 8 });
    await asOwner(hub, `update audit_entry set seq = case seq when 8 then 9 else 8 end + 1000 where seq in (8, 9)`);
    await asOwner(hub, `update audit_entry set seq = seq - 1000 where seq > 1000`);
    expect(await verify(hub)).toMatchObject({ ok: true });
  });

  test('a stretch rewritten with recomputed hashes is caught by the signed checkpoint', async () => {
    const { entryHash } = await import('../../src/audit/index.js');
    const rows = (await hub.db.pool.query(`select seq::int, at, department, system, roles, purpose, case_number as "caseNumber",
      operation_name as "operationName", document_hash as "documentHash", resources, subjects, result_size as "resultSize",
      outcome, prev_hash as "prevHash", hash from audit_entry order by seq`)).rows;
    // The forger changes entry 3 and recomputes every hash after it, so the links all hold.
    rows[2].department = 'tax';
    let prev = rows[1].hash;
    for (const row of rows.slice(2)) {
      row.prevHash = prev;
      row.hash = entryHash(prev, row);
      prev = row.hash;
      await asOwner(hub, 'update audit_entry set department = $2, prev_hash = $3, hash = $4 where seq = $1', [row.seq, row.department, row.prevHash, row.hash]);
    }
    await asOwner(hub, `update audit_head set hash = $1`, [prev]);
    expect((await verify(hub)).firstBreak).toMatchObject({ seq: 1, problem: 'rewritten' });
  });
});

describe("the database owner's tampering is found by the checkpoints kept outside the database", () => {
  let hub: TestHub;
  const CODES = ['431100', '431102', '431103', '431121', '431122', '431123', '431124', '431125', '431126', '431127', '431128', '431129'];
  beforeAll(async () => {
    hub = await startTestHub({ HUITONG_AUDIT_CHECKPOINT_EVERY: '5' });
    const caller = hub.as('civil-affairs', { purpose: 'low-income-verification', caseNumber: 'YZ-2026-0003' });
    for (const code of CODES) await caller.query(DIVISION, { code });
    await hub.services.audit.log.checkpointHead(); // the timer's checkpoint of the head, at 12
  });
  afterAll(() => hub?.close());

  const problemsOf = async () => (await verify(hub)).problems.map(({ seq, problem }) => ({ seq, problem }));

  test('each checkpoint is also a signed line of the checkpoint file in the data directory', async () => {
    const file = await readFile(path.join(hub.config.dataDir, 'audit-checkpoints.jsonl'), 'utf8');
    expect(file.trim().split('\n').map((line) => JSON.parse(line).seq)).toEqual([5, 10, 12]);
    expect(await verify(hub)).toMatchObject({ ok: true, entries: 12, checkpoints: 3, problems: [] });
    expect((await cliVerify(hub)).stdout).toContain('audit chain intact: 12 entries, 3 signed checkpoints, 3 in');
  });

  test('a head reset behind the entries is named', async () => {
    const head = (await hub.owner.pool.query('select seq, hash from audit_head')).rows[0];
    await asOwner(hub, `update audit_head set seq = 3, hash = (select hash from audit_entry where seq = 3)`);
    expect(await problemsOf()).toEqual([{ seq: 4, problem: 'head-reset' }]);
    await asOwner(hub, 'update audit_head set seq = $1, hash = $2', [head.seq, head.hash]);
    expect(await verify(hub)).toMatchObject({ ok: true });
  });

  test('a checkpoint expected by count and removed from the database is named', async () => {
    const { rows } = await hub.owner.pool.query('select * from audit_checkpoint where seq = 5');
    await asOwner(hub, 'delete from audit_checkpoint where seq = 5');
    const report = await verify(hub);
    expect(report.firstBreak).toMatchObject({ seq: 5, problem: 'missing-checkpoint' });
    expect(report.firstBreak?.detail).toBe('checkpoints expected every 5 entries are missing from the database: at 5');
    await asOwner(hub, 'insert into audit_checkpoint select * from jsonb_populate_record(null::audit_checkpoint, $1::jsonb)', [JSON.stringify(rows[0])]);
    expect(await verify(hub)).toMatchObject({ ok: true });
  });

  test('the tail truncated after the last checkpoint with the head reset to match is reported as a missing tail', async () => {
    // The owner removes the last entries and the checkpoint naming them, and resets the head: the
    // database alone is consistent again.
    await asOwner(hub, 'delete from audit_entry where seq > 10');
    await asOwner(hub, 'delete from audit_checkpoint where seq > 10');
    await asOwner(hub, `update audit_head set seq = 10, hash = (select hash from audit_entry where seq = 10)`);
    const report = await verify(hub);
    expect(report).toMatchObject({ ok: false, entries: 10, firstBreak: { seq: 11, problem: 'missing-tail' } });
    expect(report.firstBreak?.detail).toBe('entries 11 to 12 are missing: the checkpoint file records the chain at 12, the database ends at 10');
    const cli = await cliVerify(hub);
    expect(cli).toMatchObject({ code: 1 });
    expect(cli.stderr).toContain('audit chain broken at entry 11 (missing-tail): entries 11 to 12 are missing');
    const res = await hub.as('data-bureau', { roles: ['auditor'] }).query('{ auditVerification { ok firstBreak { seq problem } problems { problem } } }');
    expect(res.data.auditVerification).toMatchObject({ ok: false, firstBreak: { seq: 11, problem: 'missing_tail' } });
  });

  test('the whole log and its checkpoints wiped by the owner are reported, naming what is missing', async () => {
    await asOwner(hub, 'delete from audit_entry');
    await asOwner(hub, 'delete from audit_checkpoint');
    await asOwner(hub, `update audit_head set seq = 0, hash = repeat('0', 64)`);
    const report = await verify(hub);
    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({ seq: 1, problem: 'missing-tail', detail: 'entries 1 to 12 are missing: the checkpoint file records the chain at 12, the database holds no entries' });
    expect(report.problems.map((p) => p.problem)).toContain('missing-checkpoint');
    expect(report.problems.find((p) => p.problem === 'missing-checkpoint')?.detail).toBe('checkpoints expected every 5 entries are missing from the database: at 5, 10');
    expect((await cliVerify(hub)).stderr).toContain('(missing-tail): entries 1 to 12 are missing');
  });
});

describe('sequence numbers past 2^31', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(() => hub?.close());

  test('the writer, the verifier and the data tracker read seq as int8', async () => {
    // Moving the head forward is allowed (the trigger refuses only going back); entries follow it.
    const start = 2 ** 31 + 5;
    await hub.owner.pool.query('update audit_head set seq = $1', [start]);
    const res = await hub.as('statistics', { purpose: 'statistical-analysis' }).query(DIVISION, { code: '431103' });
    expect(res.errors).toBeUndefined();
    expect((await hub.owner.pool.query('select seq::text from audit_entry')).rows).toEqual([{ seq: String(start + 1) }]);
    const { accessesAbout } = await import('../../src/audit/index.js');
    expect((await accessesAbout(hub.db.pool, '431103', { first: 5, before: null })).records.map((r) => r.seq)).toEqual([start + 1]);
    // The verifier reads the entry rather than failing on an int4 cast, and says the earlier ones are missing.
    expect((await verify(hub)).firstBreak).toMatchObject({ seq: 1, problem: 'removed' });
  });
});

describe('group commit under load', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(() => hub?.close());

  test('1,000 parallel look-ups through two hub instances produce exactly 1,000 entries and one intact chain', async () => {
    // A second instance on the same database and key, as behind a load balancer.
    const second = await serveHub({ ...hub.config, port: 0 }, createLogger('silent'), hub.db);
    const caller = hub.as('civil-affairs', { purpose: 'low-income-verification', caseNumber: 'YZ-2026-0002' });
    const headers = { 'content-type': 'application/json', ...(await caller.headers()) };
    const codes = ['431100', '431102', '431103', '431121', '431122'];
    const lookUp = async (url: string, code: string) =>
      (await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query: DIVISION, variables: { code } }) })).json();
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => lookUp(i % 2 ? second.url : hub.url, codes[i % codes.length])),
    );
    await second.close();
    expect(results.filter((r) => r.data?.division?.code).length).toBe(1000);
    const { rows } = await hub.db.pool.query('select count(*)::int n, min(seq)::int lo, max(seq)::int hi from audit_entry');
    expect(rows[0]).toEqual({ n: 1000, lo: 1, hi: 1000 });
    expect(await verify(hub)).toMatchObject({ ok: true, entries: 1000, checkpoints: 1 });
  }, 60_000);
});
