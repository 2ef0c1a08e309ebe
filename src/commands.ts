import { parseArgs } from 'node:util';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { openDatabase, prepareRegisters, startHub, withCommandTrail, type RunningHub } from './main.js';
import { loadDemo, markDemoLoaded, seedCity, seedSpatial } from './simulate/index.js';
import { seedVerificationDemo } from './verification/demo.js';

/**
 * The commands that need the whole hub (database, catalogue, simulator). Loaded by `cli.ts` only
 * when one of them runs, so `huitong token` and `--help` stay quick.
 */
export interface Command {
  summary: string;
  usage: string;
  run(args: string[], config: Config, logger: Logger): Promise<void>;
}

/** A mistake in the command line: reported with the usage, exit 2. */
export class UsageError extends Error {}

export const heavyCommands: Record<'serve' | 'migrate' | 'seed', Command> = {
  serve: {
    summary: 'run the exchange (embedded PostgreSQL unless DATABASE_URL is set)',
    usage: 'huitong serve',
    async run(_args, config, logger) {
      let hub: RunningHub | null = null;
      let stopping = false;
      const close = (running: RunningHub) =>
        running.close().then(
          () => {
            logger.info('stopped cleanly');
            process.exit(0);
          },
          (err) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      let signals = 0;
      const stop = (signal: string) => {
        // Asked three times while starting (npm passes a group's signal on: two are one request),
        // the operator means it: leave now; the next start stops the PostgreSQL left behind.
        if (!hub && ++signals >= 3) process.exit(130);
        // A signal to the process group reaches npm too, which passes it on: the second is expected.
        if (stopping) return;
        stopping = true;
        // A signal during the start (after /readyz answers, simulators and schedules still start)
        // is kept until the start is done, then the hub stops the same way: never killed half-started,
        // which would leave its PostgreSQL running.
        if (!hub) return void logger.info({ signal }, 'shutting down once the start is done');
        logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down: finishing in-flight requests');
        void close(hub);
      };
      // Our own handlers only, added beside any others (tsx's included), before the start begins: the
      // embedded PostgreSQL runs in a process group of its own, and is stopped last, after the pool has closed.
      for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => stop(signal));
      hub = await startHub(config, logger);
      if (stopping) {
        logger.info({ graceMs: config.shutdownGraceMs }, 'shutting down: finishing in-flight requests');
        void close(hub);
        return;
      }
      process.stdout.write(`\nHuitong is serving GraphQL at ${hub.url}/graphql\n\n`);
    },
  },
  migrate: {
    summary: 'apply pending database migrations',
    usage: 'huitong migrate',
    async run(_args, config, logger) {
      const opened = await openDatabase(config, logger);
      await opened.close();
      process.stdout.write('migrations are current\n');
    },
  },
  seed: {
    summary: 'register departments and purposes, and load the demo data (or a synthetic city of --persons) into an empty hub',
    usage: 'huitong seed [--scale N] [--persons N] [--seed S] [--replace]',
    async run(args, config, logger) {
      const { values } = parseArgs({
        args,
        options: { scale: { type: 'string', default: '0' }, persons: { type: 'string' }, seed: { type: 'string' }, replace: { type: 'boolean' } },
      });
      const scale = Number(values.scale);
      const persons = values.persons === undefined ? undefined : Number(values.persons);
      const seed = values.seed === undefined ? undefined : Number(values.seed);
      if (!(scale >= 0)) throw new UsageError('--scale N: a number, e.g. 5 for about 550,000 standard addresses');
      if (persons !== undefined && !(Number.isInteger(persons) && persons > 0)) throw new UsageError(`--persons ${values.persons}: a positive whole number`);
      if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError(`--seed ${values.seed}: a whole number`);
      // Seeding drops and rebuilds the libraries' indexes: as the tables' owner.
      const opened = await openDatabase(config, logger, { as: 'owner' });
      try {
        const registered = await withCommandTrail(config, opened.db, 'seed', (trail) =>
          prepareRegisters(opened.db.pool, trail, { operator: config.operatorDepartment, logger }),
        );
        process.stdout.write(`registered ${registered.departments} departments and ${registered.purposes} purposes\n`);
        if (scale) await seedSpatial(opened.db.pool, { scale, onProgress: (step, n) => process.stdout.write(`${step}: ${n}\n`) });
        if (persons === undefined && seed === undefined && !values.replace) {
          const loaded = await withCommandTrail(config, opened.db, 'seed', (trail) => loadDemo(opened.db, logger, trail));
          if (loaded) await seedVerificationDemo(opened.db.pool);
          process.stdout.write(`${loaded ? 'demo data loaded' : 'demo data was already there'}\n`);
          return;
        }
        const started = Date.now();
        const progress = (written: number, total: number) => {
          const s = (Date.now() - started) / 1000;
          process.stderr.write(`\r${written.toLocaleString('en')} / ${total.toLocaleString('en')} persons, ${Math.round(written / s).toLocaleString('en')}/s   `);
        };
        const counts = await seedCity(opened.db.pool, { persons, seed, replace: values.replace, progress });
        await markDemoLoaded(opened.db);
        const s = (Date.now() - started) / 1000;
        process.stdout.write(`\nseeded in ${s.toFixed(1)} s (${Math.round(counts.persons / s).toLocaleString('en')} persons/s): ${JSON.stringify(counts)}\n`);
      } finally {
        await opened.close();
      }
    },
  },
};
