import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../support/ports.js';
import { startLoad } from './load.js';
import { alive, killGroup, logLines, npmStart, postgresProcesses, sleep, waitFor, type HubProcess } from './process.js';

/**
 * The hub as an operator runs it: a real `npm start` in a process group of its own, on its
 * embedded PostgreSQL, signalled, killed and frozen as service managers, terminals and crashes do,
 * under a steady load of 20 audited look-ups at a time.
 */
let dataDir: string;
let env: Record<string, string>;
let hub: HubProcess | null = null;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'huitong-ops-'));
  env = { PORT: String(await freePort()), HUITONG_PG_PORT: String(await freePort()), HUITONG_DB_STATEMENT_TIMEOUT_MS: '1500',
    HUITONG_DB_ACQUIRE_TIMEOUT_MS: '1500',
    HUITONG_DB_CONNECT_TIMEOUT_MS: '1500', HUITONG_PG_MAX_RESTARTS: '3' };
});
afterEach(async () => {
  if (hub && hub.npm.exitCode === null) {
    killGroup(hub.npm, 'SIGTERM');
    await Promise.race([hub.exited, sleep(15_000)]);
  }
  hub = null;
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Stops the hub with `signal` sent to `target` under load; everything accepted must be answered with data. */
async function stopUnderLoad(signal: NodeJS.Signals, target: 'group' | 'npm' | 'hub') {
  hub = await npmStart(dataDir, env);
  const postmaster = hub.postmasterPid();
  const load = startLoad(hub.url, await hub.token());
  await waitFor('some answers', () => load.report.ok > 50, 20_000);
  const answeredBefore = load.report.ok;
  const hubPid = hub.hubPid();
  const pid = target === 'group' ? -hub.npm.pid! : target === 'npm' ? hub.npm.pid! : hubPid;
  process.kill(pid, signal);
  const { code, signal: endedBy } = await hub.exited;
  // npm signalled itself passes the signal on and ends at once, without waiting for the hub.
  await waitFor('the hub process to end', () => !alive(hubPid), 30_000);
  const report = await load.stop();
  return { code, endedBy, report, answeredBefore, postmaster, output: hub.output() };
}

describe('stopping drains: in-flight requests finish, the audit is flushed, then PostgreSQL stops', () => {
  for (const [signal, target] of [
    ['SIGTERM', 'group'],
    ['SIGINT', 'group'],
    ['SIGTERM', 'npm'],
    ['SIGTERM', 'hub'],
  ] as const) {
    test(`${signal} to the ${target === 'group' ? 'process group of npm start' : target === 'npm' ? 'npm process' : "hub's node process"} under load: no request fails, "stopped cleanly", no PostgreSQL left`, async () => {
      const { code, endedBy, report, answeredBefore, postmaster, output } = await stopUnderLoad(signal, target);
      expect(report, `${JSON.stringify(report)}\n${output}`).toMatchObject({ failed: 0, reset: 0 });
      expect(report.ok).toBeGreaterThan(answeredBefore);
      // npm, signalled itself, ends by re-raising the signal once the hub has exited; else with the hub's 0.
      expect(endedBy === null ? code : endedBy).toBe(target === 'hub' ? 0 : endedBy === null ? 0 : signal);
      expect(logLines(output, 'stopped cleanly')).toHaveLength(1);
      expect(alive(postmaster)).toBe(false);
    }, 120_000);
  }
});

describe('the embedded PostgreSQL is supervised', () => {
  test('a hub killed outright leaves its PostgreSQL; the next start recognises it by the data directory, stops it with a log line, and serves', async () => {
    hub = await npmStart(dataDir, env);
    const postmaster = hub.postmasterPid();
    process.kill(hub.hubPid(), 'SIGKILL');
    await hub.exited;
    expect(alive(postmaster)).toBe(true); // the orphan, adopted by init

    hub = await npmStart(dataDir, env);
    const stopped = logLines(hub.output(), 'stopping an orphaned embedded PostgreSQL left running by an earlier hub in this data directory');
    expect(stopped).toEqual([expect.objectContaining({ pid: postmaster })]);
    expect(alive(postmaster)).toBe(false);
    expect(hub.postmasterPid()).not.toBe(postmaster);
  }, 120_000);

  test('PostgreSQL killed under load: data never goes out unaudited, /readyz is 503 within a second, it is restarted and the hub recovers by itself', async () => {
    hub = await npmStart(dataDir, env);
    const postmaster = hub.postmasterPid();
    const load = startLoad(hub.url, await hub.token());
    await waitFor('some answers', () => load.report.ok > 50, 20_000);
    const killedAt = Date.now();
    process.kill(postmaster, 'SIGKILL');
    const notReady = await waitFor('/readyz 503', async () => ((await fetch(`${hub!.url}/readyz`)).status === 503 ? Date.now() : null), 5_000);
    expect(notReady - killedAt).toBeLessThan(1_000);
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200); // it will recover: no reason to restart the hub
    await waitFor('/readyz 200 again', async () => (await fetch(`${hub!.url}/readyz`)).status === 200, 60_000);
    // Requests in flight across the restart, and a second of failing fast after the last audit
    // write that timed out, may still fail; after that, none.
    await sleep(1_500);
    const failedDuringOutage = load.report.failed;
    const okAfter = load.report.ok;
    await waitFor('answers again', () => load.report.ok > okAfter + 50, 20_000);
    const report = await load.stop();

    // Failures only while it was down, each a stable 503 code: never an internal error.
    expect(Object.keys(report.codes).every((c) => c === 'AUDIT_UNAVAILABLE' || c === 'SOURCE_UNAVAILABLE'), JSON.stringify(report)).toBe(true);
    expect(report.reset).toBe(0);
    expect(report.failed).toBe(failedDuringOutage);
    const output = hub.output();
    expect(logLines(output, 'the embedded PostgreSQL exited while the hub runs: not ready; restarting it')).toHaveLength(1);
    expect(logLines(output, 'the embedded PostgreSQL restarted; ready again')).toHaveLength(1);
    expect(hub.postmasterPid()).not.toBe(postmaster);
    // Identical failures are counted, not logged one per request.
    expect(logLines(output, 'audit entry not written: answer withheld').length).toBeLessThanOrEqual(5);
  }, 150_000);

  test('PostgreSQL that cannot be started again makes /healthz fail once the hub gives up, naming why in the log', async () => {
    hub = await npmStart(dataDir, env);
    const postmaster = hub.postmasterPid();
    // The cluster's version file gone: a running server does not notice, a starting one refuses.
    const versionFile = path.join(dataDir, 'pg', 'PG_VERSION');
    await rename(versionFile, `${versionFile}.away`);
    try {
      process.kill(postmaster, 'SIGKILL');
      await waitFor('/healthz 503', async () => (await fetch(`${hub!.url}/healthz`)).status === 503, 30_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${hub!.output()}`);
      });
      expect(logLines(hub.output(), 'the embedded PostgreSQL does not start again: giving up (/healthz fails)')).toHaveLength(1);
      expect((await fetch(`${hub.url}/readyz`)).status).toBe(503);
    } finally {
      await rename(`${versionFile}.away`, versionFile);
    }
  }, 120_000);
});

describe('every database wait is bounded', () => {
  test('PostgreSQL frozen (SIGSTOP) for 8 s: /readyz says 503 within a second, requests fail with a stable 503 in bounded time, all recover after SIGCONT', async () => {
    hub = await npmStart(dataDir, env);
    const load = startLoad(hub.url, await hub.token());
    await waitFor('some answers', () => load.report.ok > 50, 20_000);
    const processes = postgresProcesses(hub.postmasterPid()); // the hub's connections' backends included
    for (const pid of processes) process.kill(pid, 'SIGSTOP');
    try {
      await sleep(200);
      const asked = Date.now();
      const ready = await fetch(`${hub.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(Date.now() - asked).toBeLessThan(1_000);
      // A request arriving now fails in bounded time: waiting for a connection (1.5 s here), then its
      // audit entry's write (statement timeout + 1 s), each bounded.
      const sent = Date.now();
      const res = await fetch(`${hub.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await hub.token()}`, 'x-purpose': 'statistical-analysis', 'x-case-number': 'T-1' },
        body: JSON.stringify({ query: '{ division(code: "431103") { code } }' }),
      });
      expect(res.status).toBe(503);
      expect(['SOURCE_UNAVAILABLE', 'AUDIT_UNAVAILABLE']).toContain(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code);
      expect(Date.now() - sent).toBeLessThan(6_000);
      await sleep(Math.max(0, 8_000 - (Date.now() - asked)));
    } finally {
      for (const pid of processes) process.kill(pid, 'SIGCONT');
    }
    await waitFor('/readyz 200 again', async () => (await fetch(`${hub!.url}/readyz`)).status === 200, 20_000);
    const okAfter = load.report.ok;
    await waitFor('answers again', () => load.report.ok > okAfter + 50, 20_000);
    const report = await load.stop();
    expect(Object.keys(report.codes).every((c) => c === 'AUDIT_UNAVAILABLE' || c === 'SOURCE_UNAVAILABLE'), JSON.stringify(report)).toBe(true);
    expect(report.reset).toBe(0);
    expect(logLines(hub.output(), 'readiness check failed').length).toBeLessThanOrEqual(2);
  }, 120_000);
});
