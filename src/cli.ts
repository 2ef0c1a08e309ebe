import { parseArgs } from 'node:util';
import { readConfig, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';

interface Command {
  summary: string;
  usage: string;
  run(args: string[], config: Config, logger: Logger): Promise<void>;
}

/** A mistake in the command line: reported with the usage, exit 2. */
class UsageError extends Error {}

/**
 * A command whose code is imported only when it runs: the help and `huitong token` load no
 * database, server or catalogue code (measured: see README, "The command line").
 */
const lazy = (summary: string, usage: string, load: () => Promise<Pick<Command, 'run'>>): Command => ({
  summary,
  usage,
  run: async (args, config, logger) => (await load()).run(args, config, logger),
});

const ROLE_NAMES = ['consumer', 'provider', 'catalog-admin', 'auditor', 'platform-admin'];

const commands: Record<string, Command> = {
  catalog: lazy(
    'register catalogue resources from catalog/resources/, or import a spreadsheet (see README)',
    'huitong catalog sync [--dry-run] | huitong catalog import FILE.xlsx|FILE.csv [--dry-run] [--reason TEXT]',
    async () => (await import('./catalog/cli.js')).catalogCommand,
  ),
  serve: lazy('run the exchange (embedded PostgreSQL unless DATABASE_URL is set)', 'huitong serve', async () => (await import('./commands.js')).heavyCommands.serve),
  migrate: lazy('apply pending database migrations', 'huitong migrate', async () => (await import('./commands.js')).heavyCommands.migrate),
  seed: lazy(
    'register departments and purposes, and load the demo data (or a synthetic city of --persons) into an empty hub',
    'huitong seed [--scale N] [--persons N] [--seed S] [--replace]',
    async () => (await import('./commands.js')).heavyCommands.seed,
  ),
  token: {
    summary: 'print a JWT from the local development issuer',
    usage: 'huitong token --dept CODE --role ROLE [--role ROLE...] [--system ID] [--ttl 1h] | huitong token --citizen ID_NUMBER [--ttl 15m]',
    async run(args, config) {
      const { values } = parseArgs({
        args,
        options: {
          dept: { type: 'string' },
          role: { type: 'string', multiple: true },
          system: { type: 'string' },
          ttl: { type: 'string' },
          citizen: { type: 'string' },
        },
      });
      // The issuer's own file only (jose): not the access folder's index, which brings the database.
      const { loadDevIssuer } = await import('./access/dev-issuer.js');
      if (values.citizen !== undefined) {
        // A citizen token signs a person in to their own access log (myAccessLog) and nothing else.
        const { parseIdNumber } = await import('./registries/population/id-number.js');
        const id = values.citizen.trim().toUpperCase();
        if (!/^\d{17}[\dX]$/.test(id) || !parseIdNumber(id).ok) throw new UsageError(`--citizen ${values.citizen}: not a valid 18-character citizen ID number`);
        const ttl = values.ttl ?? '15m';
        if (!/^\d+[smhd]$/.test(ttl)) throw new UsageError(`--ttl ${ttl}: use a number and s, m, h or d, e.g. 15m`);
        const issuer = await loadDevIssuer(config.dataDir);
        process.stdout.write(`${await issuer.signCitizen(id, config.jwtAudience, ttl)}\n`);
        return;
      }
      values.ttl ??= '1h';
      if (!values.dept) throw new UsageError('--dept is required, e.g. --dept civil-affairs');
      const roles = values.role?.length ? values.role : ['consumer'];
      const unknown = roles.filter((r) => !ROLE_NAMES.includes(r));
      if (unknown.length) throw new UsageError(`--role ${unknown.join(', ')}: not one of ${ROLE_NAMES.join(', ')}`);
      if (!/^\d+[smhd]$/.test(values.ttl)) throw new UsageError(`--ttl ${values.ttl}: use a number and s, m, h or d, e.g. 1h`);
      const issuer = await loadDevIssuer(config.dataDir);
      const token = await issuer.sign(
        { department: values.dept, roles: roles as Parameters<typeof issuer.sign>[0]['roles'], system: values.system, ttl: values.ttl },
        config.jwtAudience,
      );
      process.stdout.write(`${token}\n`);
    },
  },
  key: {
    summary: 'register a department system’s public key and roles, or revoke a key (audited); or make a new hub key, keeping the old one for verification',
    usage:
      'huitong key register --dept CODE --system ID --kid KID --alg RS256|ES256|EdDSA --jwk FILE --roles ROLE[,ROLE] [--reason TEXT] | huitong key revoke --kid KID --reason TEXT | huitong key rotate-hub',
    async run(args, config, logger) {
      if (args[0] !== 'rotate-hub') return (await import('./access/key-command.js')).keyCommand.run(args, config, logger);
      if (args.length > 1) throw new UsageError('rotate-hub takes no options');
      const { rotateHubKey } = await import('./audit/hub-key.js');
      const rotated = await rotateHubKey(config.dataDir);
      logger.info(rotated, 'hub key rotated');
      process.stdout.write(
        `new hub key ${rotated.current} in ${rotated.file}; ${rotated.retired} is retired and kept there (public part only) ` +
          `so the checkpoints it signed still verify. Running hubs sign with the new key within a second; ` +
          `hubs on other machines need the new file.\n`,
      );
    },
  },
  audit: lazy(
    'walk the audit chain and its signed checkpoints (in the database and in the checkpoint file), and name what was changed, removed, reordered or reset',
    'huitong audit verify',
    async () => (await import('./audit/command.js')).auditCommand,
  ),
  connectors: lazy(
    'check the connector definitions under connectors/ (every problem by file and path), or list them with their last run',
    'huitong connectors check | huitong connectors list',
    async () => (await import('./exchange/cli.js')).connectorsCommand,
  ),
  sync: lazy(
    'run a connector now, showing progress (--full: re-read the whole source and report what differs)',
    'huitong sync CONNECTOR [--full] [--batch-size N]',
    async () => (await import('./exchange/cli.js')).syncCommand,
  ),
  quarantine: lazy(
    'list quarantined records, show one, replay one (as delivered or fixed) or discard one',
    'huitong quarantine list [--connector ID] [--state open|replayed|discarded] | show ID | replay ID [--payload JSON] --reason TEXT | discard ID --reason TEXT',
    async () => (await import('./exchange/cli.js')).quarantineCommand,
  ),
  verify: lazy(
    'batch low-income verification on the job queue: start, resume, pause, show progress, export CSV',
    'huitong verify batch [--name N] [--file households.csv] [--as-of YYYY-MM-DD] [--case CASE] [--dept civil-affairs] [--no-wait]\n' +
      '         huitong verify batch --resume ID | --pause ID | --status ID | --csv ID [--out FILE]',
    async () => (await import('./verification/command.js')).verifyCommand,
  ),
};

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
    if (err instanceof UsageError || (err as Error).constructor?.name === 'UsageError' || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
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
