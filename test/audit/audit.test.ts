import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadHubKey, verifyChain } from '../../src/audit/index.js';
import { createLogger } from '../../src/log.js';
import { serveHub } from '../../src/main.js';
import { startTestHub, type TestHub } from '../support/hub.js';

const CLI = path.resolve(import.meta.dirname, '../../bin/huitong.js');
const run = promisify(execFile);
const DIVISION = 'query Lookup($code: ID!) { division(code: $code) { code name } }';

/** Changes audit rows as a superuser would: with the append-only triggers switched off. */
async function asSuperuser(hub: TestHub, sql: string, params: unknown[] = []): Promise<void> {
  const client = await hub.db.pool.connect();
  try {
    await client.query('begin');
    await client.query('alter table audit_entry disable trigger user');
    await client.query(sql, params);
    await client.query('alter table audit_entry enable trigger user');
    await client.query('commit');
  } finally {
    client.release();
  }
}

const entries = async (hub: TestHub) =>
  (await hub.db.pool.query(`select seq::int, department, system, purpose, case_number, operation_name, resources, subjects, result_size, outcome from audit_entry order by seq`)).rows;
const verify = async (hub: TestHub) => verifyChain(hub.db.pool, await loadHubKey(hub.config.dataDir));

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

  test('the database refuses UPDATE, DELETE and TRUNCATE on the audit trail', async () => {
    await expect(hub.db.pool.query(`update audit_entry set department = 'tax' where seq = 1`)).rejects.toThrow(/append-only/);
    await expect(hub.db.pool.query(`delete from audit_entry where seq = 1`)).rejects.toThrow(/append-only/);
    await expect(hub.db.pool.query(`truncate audit_entry`)).rejects.toThrow(/append-only/);
    await expect(hub.db.pool.query(`delete from audit_checkpoint`)).rejects.toThrow(/append-only/);
    expect((await entries(hub))[0].department).toBe('statistics');
  });

  test('if the audit trail cannot be written, the request fails and no data goes out', async () => {
    await hub.db.pool.query('alter table audit_entry rename to audit_entry_away');
    try {
      const res = await hub.as('statistics', { purpose: 'statistical-analysis' }).query(DIVISION, { code: '431103' });
      expect(res.status).toBe(503);
      expect(res.errors?.[0].extensions?.code).toBe('AUDIT_UNAVAILABLE');
      expect(res.data ?? null).toBeNull();
      expect(JSON.stringify(res)).not.toContain('冷水滩区');
    } finally {
      await hub.db.pool.query('alter table audit_entry_away rename to audit_entry');
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

  test('a quiet chain is signed on the timer too, up to its head', async () => {
    await hub.services.audit.log.checkpointHead();
    await hub.services.audit.log.checkpointHead(); // the head is signed already: nothing new
    const { rows } = await hub.db.pool.query('select seq::int from audit_checkpoint order by seq');
    expect(rows.map((r) => r.seq)).toEqual([5, 10, 12]);
    expect(await verify(hub)).toMatchObject({ ok: true, entries: 12, checkpoints: 3 });
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
  });

  test('a row changed by a superuser is found and named, by the query and by `huitong audit verify`', async () => {
    await asSuperuser(hub, `update audit_entry set purpose = 'statistical-analysis' where seq = 7`);
    expect((await verify(hub)).firstBreak).toMatchObject({ seq: 7, problem: 'changed' });
    const res = await auditor().query(VERIFY);
    expect(res.data.auditVerification).toMatchObject({ ok: false, firstBreak: { seq: 7, problem: 'changed' } });
    const failed = await run(process.execPath, [CLI, 'audit', 'verify'], {
      env: { ...process.env, DATABASE_URL: hub.db.url, HUITONG_DATA_DIR: hub.config.dataDir },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain('audit chain broken at entry 7 (changed)');
    await asSuperuser(hub, `update audit_entry set purpose = 'low-income-verification' where seq = 7`);
    expect(await verify(hub)).toMatchObject({ ok: true });
  });

  test('a removed row is named', async () => {
    const { rows } = await hub.db.pool.query('select * from audit_entry where seq = 4');
    await asSuperuser(hub, 'delete from audit_entry where seq = 4');
    expect((await verify(hub)).firstBreak).toMatchObject({ seq: 4, problem: 'removed' });
    await asSuperuser(hub, 'insert into audit_entry select * from jsonb_populate_record(null::audit_entry, $1::jsonb)', [JSON.stringify(rows[0])]);
    expect(await verify(hub)).toMatchObject({ ok: true });
  });

  test('rows swapped in place are named', async () => {
    await asSuperuser(hub, `update audit_entry set seq = case seq when 8 then 9 else 8 end + 1000 where seq in (8, 9)`);
    await asSuperuser(hub, `update audit_entry set seq = seq - 1000 where seq > 1000`);
    expect((await verify(hub)).firstBreak).toMatchObject({ seq: 8 });
    await asSuperuser(hub, `update audit_entry set seq = case seq when 8 then 9 else 8 end + 1000 where seq in (8, 9)`);
    await asSuperuser(hub, `update audit_entry set seq = seq - 1000 where seq > 1000`);
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
      await asSuperuser(hub, 'update audit_entry set department = $2, prev_hash = $3, hash = $4 where seq = $1', [row.seq, row.department, row.prevHash, row.hash]);
    }
    await asSuperuser(hub, `update audit_head set hash = $1`, [prev]);
    expect((await verify(hub)).firstBreak).toMatchObject({ seq: 1, problem: 'rewritten' });
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
