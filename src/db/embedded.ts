import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { arch, platform, tmpdir, totalmem, userInfo } from 'node:os';
import path from 'node:path';
import type { Logger } from '../log.js';

export interface EmbeddedOptions {
  /** Folder that holds the cluster (`<dir>/pg`) and its credentials (`<dir>/pg.json`). */
  dir: string;
  port: number;
  logger: Logger;
  /** Trade durability for speed: for throwaway test clusters only. (Default: false) */
  ephemeral?: boolean;
  /**
   * When a hub (or a command) already runs this data directory's server, use it rather than
   * refusing: what every CLI command does beside a running `huitong serve`. (Default: false)
   */
  attach?: boolean;
  /** Who starts it, written to the owner file for the next comer's messages. (Default: `huitong`) */
  command?: string;
  /** Restart the server when it dies, with backoff; give up after this many failed starts in a row. (Default: 8) */
  maxRestarts?: number;
}

export type EmbeddedState = 'up' | 'restarting' | 'failed' | 'stopped';

export interface EmbeddedServer {
  /** URL of the cluster's `postgres` maintenance database. */
  adminUrl: string;
  urlFor(database: string): string;
  port: number;
  /** False when attached to a server another process started (and will stop). */
  owned: boolean;
  /** `up`; `restarting` after it died; `failed` once restarts gave up (the hub cannot recover); `stopped`. */
  state(): EmbeddedState;
  /** Stops the server if this process started it (fast shutdown: run after the pools closed). */
  stop(): Promise<void>;
}

const USER = 'huitong';
/** The data directory's owner record: which process runs its PostgreSQL. */
const OWNER_FILE = 'pg-owner.json';

interface Owner {
  pid: number;
  command: string;
  startedAt: string;
}

/**
 * A real PostgreSQL from the binaries shipped in npm packages, started and supervised here. The
 * cluster is created on first use and kept across restarts. PostgreSQL refuses to run as root, so as
 * root it runs as a `postgres` system user (created if missing).
 *
 * The server runs in a process group of its own, so a Ctrl-C or a service manager's SIGTERM to the
 * hub's group reaches the hub only; the hub stops the server itself, last, after in-flight requests
 * and the audit trail are done. If the server dies while the hub runs it is restarted with backoff
 * (0.5 s doubling to 10 s). A server left by a hub that crashed (its `postmaster.pid` names a live
 * process, and no live hub owns the directory) is stopped, with a log line, before starting anew.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const { dir, logger } = options;
  const databaseDir = path.join(dir, 'pg');
  await mkdir(dir, { recursive: true });
  const asRoot = userInfo().uid === 0;
  // The `postgres` user that runs the server as root must be able to reach its cluster folder.
  if (asRoot) await chmod(dir, 0o711);
  const ids = asRoot ? postgresUser() : {};
  const password = await credentials(dir);
  const bin = await binaries();
  const urls = (port: number) => {
    const urlFor = (database: string) => `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    return { urlFor, adminUrl: urlFor('postgres') };
  };

  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    logger.info({ databaseDir }, 'creating the embedded PostgreSQL cluster (first start)');
    await initdb(bin.initdb, databaseDir, password, ids, logger);
  }

  const running = runningPostmaster(databaseDir);
  if (running) {
    const owner = readOwner(dir);
    if (owner && alive(owner.pid) && isNode(owner.pid)) {
      if (options.attach) {
        logger.debug({ pid: running.pid, port: running.port, owner }, 'using the embedded PostgreSQL of the running hub');
        const { urlFor, adminUrl } = urls(running.port);
        return { adminUrl, urlFor, port: running.port, owned: false, state: () => (alive(running.pid) ? 'up' : 'failed'), stop: async () => {} };
      }
      throw new Error(
        `${owner.command} (pid ${owner.pid}) is already running the embedded PostgreSQL of ${dir} (pid ${running.pid}, port ${running.port}). ` +
          `Stop it first, or use another data directory for a separate hub.`,
      );
    }
    logger.warn({ pid: running.pid, port: running.port, databaseDir }, 'stopping an orphaned embedded PostgreSQL left running by an earlier hub in this data directory');
    await stopPid(running.pid, logger);
  }

  const port = options.port;
  const flags = [
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'unix_socket_directories=',
    '-c', 'max_connections=300',
    // Sized for a connector's bulk load into a table of a million versions and more: buffers for its
    // indexes (an eighth of the machine's memory, 128 MB to 1 GB), and WAL room for such a load
    // between checkpoints (docs/connectors.md, "Measured").
    '-c', `shared_buffers=${sharedBuffersMb()}MB`,
    '-c', 'max_wal_size=2GB',
    ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
  ];
  const output: string[] = [];
  let child: ChildProcess | null = null;
  let state: EmbeddedState = 'up';
  let stopping = false;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | null = null;

  const launch = () =>
    new Promise<ChildProcess>((resolve, reject) => {
      // detached: a process group of its own, so signals to the hub's group do not reach it.
      const proc = spawn(bin.postgres, ['-D', databaseDir, '-p', String(port), ...flags], {
        ...ids,
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, LC_MESSAGES: 'C' },
      });
      let ready = false;
      proc.stderr!.on('data', (chunk: Buffer) => {
        const message = chunk.toString('utf8');
        output.push(message);
        if (output.length > 50) output.shift();
        logger.debug({ component: 'embedded-postgres' }, message.trim());
        if (!ready && message.includes('database system is ready to accept connections')) {
          ready = true;
          resolve(proc);
        }
      });
      proc.once('error', reject);
      proc.once('exit', (code, signal) => {
        if (!ready) {
          const words = output.slice(-8).join('').trim();
          const inUse = /Address already in use|could not create any TCP\/IP sockets/.test(words);
          reject(
            new Error(
              inUse
                ? `The embedded PostgreSQL could not listen on port ${port}: another program uses it. Set HUITONG_PG_PORT to a free port. Its last words:\n${words}`
                : `The embedded PostgreSQL in ${databaseDir} did not start (exit ${code ?? signal}). Its last words:\n${words}`,
            ),
          );
          return;
        }
        onExit(proc, code, signal);
      });
    });

  const onExit = (proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null) => {
    if (proc !== child || stopping) return;
    child = null;
    state = 'restarting';
    logger.error({ code, signal, databaseDir }, 'the embedded PostgreSQL exited while the hub runs: not ready; restarting it');
    scheduleRestart();
  };

  const scheduleRestart = () => {
    const delay = Math.min(500 * 2 ** failures, 10_000);
    restartTimer = setTimeout(() => {
      restartTimer = null;
      if (stopping) return;
      launch().then(
        (proc) => {
          if (stopping) return void proc.kill('SIGINT');
          child = proc;
          state = 'up';
          logger.info({ attempts: failures + 1, port }, 'the embedded PostgreSQL restarted; ready again');
          failures = 0;
          writeOwner(dir, options.command ?? 'huitong');
        },
        (err: Error) => {
          failures += 1;
          if (failures >= (options.maxRestarts ?? 8)) {
            state = 'failed';
            logger.fatal({ err: err.message, failures }, 'the embedded PostgreSQL does not start again: giving up (/healthz fails)');
            return;
          }
          logger.warn({ err: err.message, failures }, 'the embedded PostgreSQL did not restart; trying again');
          scheduleRestart();
        },
      );
    }, delay);
  };

  child = await launch();
  writeOwner(dir, options.command ?? 'huitong');
  // A hub that ends without stopping it (an uncaught error, process.exit) takes its server along.
  const onProcessExit = () => {
    if (child?.pid && !stopping) {
      try {
        process.kill(child.pid, 'SIGINT');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', onProcessExit);

  const { urlFor, adminUrl } = urls(port);
  return {
    adminUrl,
    urlFor,
    port,
    owned: true,
    state: () => state,
    async stop() {
      if (stopping) return;
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      process.removeListener('exit', onProcessExit);
      const proc = child;
      child = null;
      state = 'stopped';
      if (proc?.pid && proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.kill('SIGINT'); // fast shutdown: our pools are closed by now
        const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }
      clearOwner(dir);
    },
  };
}

/** The postmaster named by the cluster's `postmaster.pid`, if that process is alive. */
function runningPostmaster(databaseDir: string): { pid: number; port: number } | null {
  const file = path.join(databaseDir, 'postmaster.pid');
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return null;
  // The pid could have been reused by another program since: only a postgres counts.
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes('postgres')) return null;
  } catch {
    // no /proc (not Linux): trust the pid file
  }
  return { pid, port };
}

/** Whether `pid` is a node process (an owner's pid reused by another program is no owner). */
function isNode(pid: number): boolean {
  try {
    return /node|huitong/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true; // no /proc: trust the owner file
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** Fast shutdown (SIGINT), then SIGKILL after 30 s; resolves once the process is gone. */
async function stopPid(pid: number, logger: Logger): Promise<void> {
  const started = Date.now();
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  let killed = false;
  while (alive(pid)) {
    if (!killed && Date.now() - started > 30_000) {
      logger.warn({ pid }, 'the orphaned PostgreSQL did not stop in 30 s: killing it');
      process.kill(pid, 'SIGKILL');
      killed = true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  logger.info({ pid, ms: Date.now() - started }, 'the orphaned embedded PostgreSQL stopped');
}

function readOwner(dir: string): Owner | null {
  try {
    return JSON.parse(readFileSync(path.join(dir, OWNER_FILE), 'utf8')) as Owner;
  } catch {
    return null;
  }
}

function writeOwner(dir: string, command: string): void {
  writeFileSync(path.join(dir, OWNER_FILE), JSON.stringify({ pid: process.pid, command, startedAt: new Date().toISOString() } satisfies Owner));
}

function clearOwner(dir: string): void {
  const owner = readOwner(dir);
  if (owner?.pid !== process.pid) return;
  try {
    unlinkSync(path.join(dir, OWNER_FILE));
  } catch {
    // gone already
  }
}

/** The `postgres` system user's ids, created when missing (PostgreSQL refuses to run as root). */
function postgresUser(): { uid: number; gid: number } {
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return ids();
  } catch {
    execFileSync('groupadd', ['postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return ids();
  }
}

async function binaries(): Promise<{ postgres: string; initdb: string }> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as { postgres: string; initdb: string };
  } catch (err) {
    throw new Error(`No PostgreSQL binaries for ${platform()}-${arch()} (${name}): ${(err as Error).message}. Set DATABASE_URL to use your own PostgreSQL.`);
  }
}

async function initdb(bin: string, databaseDir: string, password: string, ids: { uid?: number; gid?: number }, logger: Logger): Promise<void> {
  await mkdir(databaseDir, { recursive: true });
  if (ids.uid !== undefined) await chown(databaseDir, ids.uid, ids.gid!);
  const pwfile = path.join(tmpdir(), `huitong-pg-${randomBytes(6).toString('hex')}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (ids.uid !== undefined) await chown(pwfile, ids.uid, ids.gid!);
  try {
    const args = [
      `--pgdata=${databaseDir}`,
      '--auth=scram-sha-256',
      `--username=${USER}`,
      `--pwfile=${pwfile}`,
      // The builtin C.UTF-8 locale classifies CJK characters as letters, which trigram search needs.
      '--encoding=UTF8',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      '--lc-messages=C',
    ];
    await new Promise<void>((resolve, reject) => {
      const proc = spawn(bin, args, { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
      let stderr = '';
      proc.stdout!.on('data', (c: Buffer) => logger.debug({ component: 'initdb' }, c.toString().trim()));
      proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      proc.once('error', reject);
      proc.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`initdb failed (exit ${code}): ${stderr.trim()}`))));
    });
  } catch (err) {
    await rm(databaseDir, { recursive: true, force: true }); // a half-made cluster would be taken for a made one
    throw err;
  } finally {
    await rm(pwfile, { force: true });
  }
}

async function credentials(dir: string): Promise<string> {
  const file = path.join(dir, 'pg.json');
  if (existsSync(file)) return (JSON.parse(await readFile(file, 'utf8')) as { password: string }).password;
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, JSON.stringify({ user: USER, password }), { mode: 0o600 });
  return password;
}

/** An eighth of the machine's memory for PostgreSQL's buffer pool, within 128 MB and 1 GB. */
function sharedBuffersMb(): number {
  return Math.max(128, Math.min(1024, Math.floor(totalmem() / 8 / 1024 / 1024)));
}
