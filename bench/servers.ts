/**
 * The servers `bench/lookup.ts` measures, each in a process of its own so that its CPU time and
 * memory are its own (the load generator and the seeding stay in the bench's process):
 *
 *   tsx bench/servers.ts minimal   # graphql-yoga + pg, one resolver, a bearer check
 *   tsx bench/servers.ts hub       # the hub (`serveHub`), BENCH_WORKERS processes sharing one port (node:cluster)
 *
 * Reads DATABASE_URL, HUITONG_DATA_DIR and PORT; prints `listening <url>` once it answers.
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga } from 'graphql-yoga';
import { readConfig } from '../src/config.js';
import { connectDatabase } from '../src/db/index.js';
import { createLogger } from '../src/log.js';
import { serveHub } from '../src/main.js';
import { FIELDS, LOOKUP } from './support.js';

const kind = process.argv[2];
const url = process.env.DATABASE_URL!;
const port = Number(process.env.PORT ?? 0);
const logger = createLogger('error');

if (kind === 'minimal') await minimal();
else if (kind === 'hub') await hub();
else throw new Error(`bench/servers.ts: minimal or hub, not ${kind}`);

async function minimal(): Promise<void> {
  const db = await connectDatabase(url, { poolMax: 10, logger });
  const yoga = createYoga<{ request: Request }>({
    schema: createSchema({
      typeDefs: `type Query { person(idNumber: String!): Person }
        type Person { ${FIELDS.split(' ').map((f) => `${f}: String`).join(' ')} }`,
      resolvers: {
        Query: {
          person: async (_root: unknown, { idNumber }: { idNumber: string }) =>
            (await db.pool.query({ name: 'bench-lookup', text: LOOKUP, values: [idNumber] })).rows[0] ?? null,
        },
      },
    }),
    // The least a real service does: refuse a request without a bearer token.
    context: ({ request }) => {
      if (!request.headers.get('authorization')?.startsWith('Bearer ')) throw new Error('unauthenticated');
      return {};
    },
    graphiql: false,
    landingPage: false,
    logging: false,
  });
  const server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql\n`);
  process.on('SIGTERM', () => process.exit(0));
}

async function hub(): Promise<void> {
  const workers = Number(process.env.BENCH_WORKERS ?? 1);
  const config = readConfig({
    DATABASE_URL: url,
    HUITONG_DATA_DIR: process.env.HUITONG_DATA_DIR,
    LOG_LEVEL: 'error',
    HUITONG_MODE: 'production',
    HUITONG_DEV_ISSUER: 'true',
    // One caller asks here at full speed: the per-system limit would measure itself.
    HUITONG_RATE_LIMIT_PER_MINUTE: '100000000',
  });
  if (workers > 1 && cluster.isPrimary) {
    let ready = 0;
    for (let i = 0; i < workers; i++) {
      cluster.fork().on('message', (m: { listening?: string }) => {
        if (m.listening && ++ready === workers) process.stdout.write(`listening ${m.listening}\n`);
      });
    }
    process.on('SIGTERM', () => {
      for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
      process.exit(0);
    });
    return;
  }
  const db = await connectDatabase(url, { poolMax: config.dbPoolMax, logger });
  const running = await serveHub({ ...config, port, host: '127.0.0.1' }, logger, db);
  const shown = `${running.url.replace('localhost', '127.0.0.1')}/graphql`;
  if (cluster.isWorker) process.send!({ listening: shown });
  else process.stdout.write(`listening ${shown}\n`);
  process.on('SIGTERM', () => void running.close().then(() => db.close()).finally(() => process.exit(0)));
}
