/**
 * Start-up benchmark (issue 17, DESIGN §7): the real `npm start`, as an operator runs it, on a
 * fresh data directory (first start: embedded PostgreSQL initdb, migrations, demo data), then
 * restarted on that directory. Each start runs in a process group of its own on free ports, is
 * timed from spawn to `/readyz` 200, and is stopped with SIGTERM to its group; the postmaster is
 * checked gone before the next start. Phase times come from the hub's own log lines.
 *
 *   npm run bench:startup [-- --restarts 3] [-- --keep] [-- --tsx (src/ through tsx, not dist/)]
 *
 * Last line: `startup: first <s> s, restart <s> s (targets 15 / 3)`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../test/support/ports.js';
import { buildDist } from '../scripts/build.js';
import { staleReason } from '../scripts/dist-stamp.js';

const REPO = path.resolve(import.meta.dirname, '..');
const FIRST_TARGET_S = 15;
const RESTART_TARGET_S = 3;

interface StartFigures {
  /** Spawn to `/readyz` 200. */
  readyMs: number;
  /** Spawn to the hub's first log line (npm, node and the loader before any of our code ran). */
  firstLineMs: number | null;
  /** The hub's own `start: code loaded` (process uptime when `startHub` began). */
  codeLoadedMs: number | null;
  /** CPU time the hub's node process had used when `/readyz` answered (user + system; less noisy than wall time on a loaded machine). */
  hubCpuMs: number | null;
  /** The hub's own phase lines, in order: message → ms. */
  phases: Array<[string, number]>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The postmaster of the data directory, when its pid file names a live process. */
function postmaster(dataDir: string): number | null {
  const file = path.join(dataDir, 'pg', 'postmaster.pid');
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
}

/** A process's user + system CPU time so far, from /proc (Linux), in ms. */
function cpuMs(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    // Fields after the command name's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** The hub's node process, as the data directory's owner file names it. */
function hubPid(dataDir: string): number | null {
  try {
    return (JSON.parse(readFileSync(path.join(dataDir, 'pg-owner.json'), 'utf8')) as { pid: number }).pid;
  } catch {
    return null;
  }
}

async function waitUntil(done: () => boolean, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

async function oneStart(dataDir: string, env: Record<string, string>, withinMs: number): Promise<StartFigures> {
  const spawned = Date.now();
  const npm = spawn('npm', ['start', '--silent'], {
    cwd: REPO,
    detached: true,
    env: { ...process.env, LOG_LEVEL: 'info', HUITONG_DATA_DIR: dataDir, VITEST: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let firstLineAt: number | null = null;
  const take = (c: Buffer) => {
    firstLineAt ??= Date.now();
    out += c.toString();
  };
  npm.stdout!.on('data', take);
  npm.stderr!.on('data', take);
  let gone = false;
  const exited = new Promise<void>((resolve) =>
    npm.once('exit', () => {
      gone = true;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${env.PORT}/readyz`;
  let readyMs = 0;
  let hubCpuMs: number | null = null;
  try {
    for (;;) {
      if (gone) throw new Error(`npm start exited before it was ready:\n${out}`);
      if (Date.now() - spawned > withinMs) throw new Error(`npm start was not ready within ${withinMs} ms:\n${out.slice(-4000)}`);
      const status = await fetch(url).then((r) => r.status, () => 0);
      if (status === 200) break;
      await sleep(25);
    }
    readyMs = Date.now() - spawned;
    hubCpuMs = cpuMs(hubPid(dataDir));
  } finally {
    // Stop it as an operator would, and wait until the hub (npm exits at once, the hub drains)
    // and its PostgreSQL are gone: a postmaster killed under a live hub would be restarted by it.
    const hub = hubPid(dataDir);
    killGroup(npm, 'SIGTERM');
    await Promise.race([exited, sleep(30_000)]);
    if (!(await waitUntil(() => hub === null || !alive(hub), 30_000)) && hub !== null) process.kill(hub, 'SIGKILL');
    if (!(await waitUntil(() => postmaster(dataDir) === null, 30_000))) {
      const left = postmaster(dataDir);
      if (left !== null) process.kill(left, 'SIGKILL');
    }
    killGroup(npm, 'SIGKILL');
  }
  const lines = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  const phases: Array<[string, number]> = [];
  let codeLoadedMs: number | null = null;
  for (const l of lines) {
    const msg = String(l.msg ?? '');
    if (msg === 'start: code loaded' && typeof l.loadMs === 'number') codeLoadedMs = l.loadMs;
    else if ((msg.startsWith('start: ') || msg.startsWith('demo data')) && typeof l.ms === 'number') {
      phases.push([typeof l.step === 'string' ? `${msg} (${l.step})` : msg, l.ms]);
    }
  }
  return { readyMs, firstLineMs: firstLineAt === null ? null : firstLineAt - spawned, codeLoadedMs, phases, hubCpuMs };
}

const s = (ms: number | null) => (ms === null ? '–' : (ms / 1000).toFixed(2));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

function print(label: string, f: StartFigures): void {
  // The first log line is `start: code loaded`: before it, npm and node starting (spawn to the
  // hub's process start) and loading the code (the hub's uptime then); after it, the hub's own start.
  const beforeNode = f.firstLineMs !== null && f.codeLoadedMs !== null ? f.firstLineMs - f.codeLoadedMs : null;
  const own = f.firstLineMs === null ? null : f.readyMs - f.firstLineMs;
  process.stdout.write(
    `${label}: ready ${s(f.readyMs)} s = npm ${s(beforeNode)} s + code loaded ${s(f.codeLoadedMs)} s + hub's start ${s(own)} s (first log line at ${s(f.firstLineMs)} s; hub CPU ${s(f.hubCpuMs)} s)\n`,
  );
  for (const [msg, ms] of f.phases) process.stdout.write(`    ${s(ms).padStart(6)} s  ${msg}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { restarts: { type: 'string', default: '3' }, keep: { type: 'boolean' }, tsx: { type: 'boolean' } } });
  const restarts = Number(values.restarts);
  if (!(Number.isInteger(restarts) && restarts >= 1)) throw new Error('--restarts N: a whole number, at least 1');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'huitong-startup-'));
  const env: Record<string, string> = { PORT: String(await freePort()), HUITONG_PG_PORT: String(await freePort()) };
  // As after `npm ci` (whose `prepare` builds dist/), unless --tsx measures the TypeScript through tsx.
  if (values.tsx) env.HUITONG_DIST = 'off';
  else if (await buildDist({ onlyIfStale: true, quiet: true })) process.stdout.write('dist/ was stale: built it\n');
  process.stdout.write(`code: ${values.tsx ? 'src/ through tsx (--tsx)' : staleReason() === null ? 'dist/ (built JavaScript)' : 'src/ through tsx (dist/ stale)'}\n`);
  process.stdout.write(`data directory ${dataDir}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
  try {
    const first = await oneStart(dataDir, env, 180_000);
    print('first start', first);
    const again: StartFigures[] = [];
    for (let i = 0; i < restarts; i++) {
      const f = await oneStart(dataDir, env, 60_000);
      print(`restart ${i + 1}`, f);
      again.push(f);
    }
    const restart = median(again.map((f) => f.readyMs));
    process.stdout.write(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
    const cpu = median(again.map((f) => f.hubCpuMs ?? 0));
    process.stdout.write(`hub CPU to ready: first ${s(first.hubCpuMs)} s, restart ${s(cpu)} s (median)\n`);
    process.stdout.write(`startup: first ${s(first.readyMs)} s, restart ${s(restart)} s (targets ${FIRST_TARGET_S} / ${RESTART_TARGET_S})\n`);
  } finally {
    if (!values.keep) await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
