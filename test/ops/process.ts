import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadDevIssuer } from '../../src/access/index.js';

export const REPO = path.resolve(import.meta.dirname, '../..');

export interface HubProcess {
  /** The spawned `npm start` (the leader of its own process group). */
  npm: ChildProcess;
  url: string;
  /** Milliseconds from spawn to `/readyz` 200. */
  readyMs: number;
  output(): string;
  /** The hub's own node process, as the data directory's owner file names it. */
  hubPid(): number;
  /** The embedded PostgreSQL's postmaster, from its pid file. */
  postmasterPid(): number;
  token(department?: string): Promise<string>;
  /** Resolves with npm's exit code (or the signal it ended by, as npm re-raises it) once it has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `npm start` as an operator runs it, in a process group of its own (as a terminal or a service
 * manager gives it), on `dataDir`; resolves once `/readyz` answers 200.
 */
export async function npmStart(dataDir: string, env: Record<string, string>, options: { readyWithinMs?: number } = {}): Promise<HubProcess> {
  const started = Date.now();
  const npm = spawn('npm', ['start', '--silent'], {
    cwd: REPO,
    detached: true,
    env: { ...process.env, LOG_LEVEL: 'info', HUITONG_DATA_DIR: dataDir, HUITONG_DEMO: 'false', VITEST: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  npm.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  npm.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => npm.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${env.PORT}`;
  const deadline = started + (options.readyWithinMs ?? 90_000);
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`npm start exited before it was ready:\n${out}`);
    if (Date.now() > deadline) {
      killGroup(npm, 'SIGKILL');
      throw new Error(`npm start was not ready in time:\n${out}`);
    }
    const status = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) break;
    await sleep(50);
  }
  const readyMs = Date.now() - started;
  return {
    npm,
    url,
    readyMs,
    exited,
    output: () => out,
    hubPid: () => (JSON.parse(readFileSync(path.join(dataDir, 'pg-owner.json'), 'utf8')) as { pid: number }).pid,
    postmasterPid: () => Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]),
    async token(department = 'statistics') {
      return (await loadDevIssuer(dataDir)).sign({ department, roles: ['consumer'] }, 'huitong');
    },
  };
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The postmaster and every server process it started (each runs in a session of its own). */
export function postgresProcesses(postmaster: number): number[] {
  const children = (() => {
    try {
      return execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)]).toString().trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  })();
  return [postmaster, ...children];
}

/** Lines of the hub's JSON log whose `msg` is `msg`. */
export function logLines(output: string, msg: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    })
    .filter((l) => l.msg === msg);
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const pidFileExists = (dataDir: string) => existsSync(path.join(dataDir, 'pg', 'postmaster.pid'));
