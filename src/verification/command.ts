import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createAudit } from '../audit/index.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { openDatabase } from '../main.js';
import { batchCsv, batchProgress, createBatch, currentRecipients, pauseBatch, prepareJobQueue, resumeBatch, startBatchWorker, type BatchHousehold, type BatchProgress } from './batch.js';
import { createLookupSources } from '../registries/department/index.js';
import { startLookupSimulator, switchesFromEnv, type LookupSimulator } from '../simulate/lookups/index.js';
import { loadScheme } from './scheme.js';
import { Verifier } from './verify.js';

/**
 * `huitong verify batch`: starts a batch (every current recipient household, or those of a file)
 * and works on it in this process with a progress bar until it is done; `--resume`, `--pause`,
 * `--status` and `--csv` act on an existing batch. Several processes (hubs or this command) share
 * a batch's jobs through the job queue. Imported by the CLI directly (it opens the database through
 * `main.ts`).
 */
export const verifyCommand = {
  summary: 'batch low-income verification on the job queue: start, resume, pause, show progress, export CSV',
  usage:
    'huitong verify batch [--name N] [--file households.csv] [--as-of YYYY-MM-DD] [--case CASE] [--dept civil-affairs] [--no-wait]\n' +
    '         huitong verify batch --resume ID | --pause ID | --status ID | --csv ID [--out FILE]',
  async run(args: string[], config: Config, logger: Logger): Promise<void> {
    if (args[0] !== 'batch') throw new Error('the only subcommand is: batch');
    const { values } = parseArgs({
      args: args.slice(1),
      options: {
        name: { type: 'string' }, file: { type: 'string' }, 'as-of': { type: 'string' }, case: { type: 'string' }, dept: { type: 'string', default: 'civil-affairs' },
        resume: { type: 'string' }, pause: { type: 'string' }, status: { type: 'string' }, csv: { type: 'string' }, out: { type: 'string' }, 'no-wait': { type: 'boolean' },
      },
    });
    const opened = await openDatabase(config, logger);
    const pool = opened.db.pool;
    try {
      if (values.pause) {
        await pauseBatch(pool, values.pause);
        return print(await batchProgress(pool, values.pause));
      }
      if (values.status) return print(await batchProgress(pool, values.status));
      if (values.csv) {
        const exported = await batchCsv(pool, values.csv);
        if (!exported) throw new Error(`no batch ${values.csv}`);
        if (values.out) await writeFile(values.out, exported.csv);
        else process.stdout.write(exported.csv);
        return;
      }
      const scheme = loadScheme();
      let id = values.resume ?? null;
      if (id) await resumeBatch(pool, id, config.verificationBatchChunk);
      else {
        const households = values.file ? await readHouseholds(values.file) : await currentRecipients(pool);
        const caseNumber = values.case ?? `BATCH-${new Date().toISOString().slice(0, 10)}`;
        id = await createBatch(pool, {
          name: values.name ?? `年度复核 ${new Date().toISOString().slice(0, 10)}`, households, asOf: values['as-of'] ?? null, chunk: config.verificationBatchChunk,
          caller: { department: values.dept, system: 'huitong-cli', purpose: scheme.purpose, caseNumber },
        });
        process.stderr.write(`batch ${id}: ${households.length} households\n`);
      }
      if (values['no-wait']) return print(await batchProgress(pool, id));

      // Item 12 is asked of the `lookup` connector definitions' sources, as the hub asks them. The
      // demo with no financial-institutions URL set gets the simulated system, as `npm start` does.
      let simulator: LookupSimulator | null = null;
      const env: Record<string, string | undefined> = { ...process.env };
      if (!env.FINANCIAL_INSTITUTIONS_URL && config.loadDemo && config.simulators) {
        simulator = await startLookupSimulator(switchesFromEnv());
        const { demoLookupHoldings } = await import('./demo.js');
        await demoLookupHoldings(pool, simulator);
        env.FINANCIAL_INSTITUTIONS_URL = simulator.url;
      }
      const lookups = createLookupSources({ logger, dir: config.connectorsDir ?? undefined, env });
      const audit = await createAudit(config.dataDir, opened.db, { checkpointEvery: config.auditCheckpointEvery, checkpointFilePath: config.auditCheckpointFile });
      const verifier = new Verifier(pool, scheme, { lookups });
      const worker = await startBatchWorker({
        pool, verifier, audit: audit.log, logger, concurrency: Math.max(1, config.verificationWorkers),
        staleMs: config.verificationWorkerStaleMs,
      });
      let stop = false;
      const onSignal = () => void (stop = true);
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        let progress = await batchProgress(pool, id);
        while (!stop && progress && progress.state === 'RUNNING') {
          bar(progress);
          await new Promise((r) => setTimeout(r, 250));
          progress = await batchProgress(pool, id);
        }
        if (progress) bar(progress);
        process.stderr.write('\n');
        print(progress);
      } finally {
        await worker.stop();
        await audit.log.close();
        await simulator?.close();
      }
    } finally {
      await opened.close();
    }
  },
};

/** A line per household: the applicant's ID number, then the declared members separated by `;` (or `,`). */
async function readHouseholds(file: string): Promise<BatchHousehold[]> {
  const lines = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  return lines
    .filter((l, i) => !(i === 0 && /applicant/i.test(l)))
    .map((l) => {
      const [applicant, ...rest] = l.split(/[,;\s]+/).filter(Boolean);
      return { applicant, declaredMembers: rest };
    });
}

function bar(p: BatchProgress): void {
  const width = 30;
  const filled = p.total ? Math.round((p.done / p.total) * width) : width;
  const eta = p.etaSeconds === null ? '?' : `${p.etaSeconds}s`;
  const rate = p.rate === null ? '?' : p.rate.toFixed(1);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total} ${rate}/s ETA ${eta} ${p.state.toLowerCase()}   `);
}

function print(p: BatchProgress | null): void {
  if (!p) throw new Error('no such batch');
  process.stdout.write(`${JSON.stringify(p)}\n`);
}

