import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { auditedChange, openCommandTrail } from '../catalog/index.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { openDatabase } from '../main.js';
import { DefinitionError, formatDefinitionProblem, loadDefinitions } from './definition.js';
import { Exchange, listQuarantine, listRuns } from './service.js';
import { simulatorEnvFile } from './simulator-env.js';

const usage = (message: string) => Object.assign(new Error(message), { code: 'ERR_PARSE_ARGS_EXCHANGE' });


function commandEnv(config: Config): Record<string, string | undefined> {
  const file = simulatorEnvFile(config.dataDir);
  // The process's own environment wins over what a running demo left.
  const simulated = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  return { ...simulated, ...process.env };
}

/** `huitong connectors check|list`. */
export const connectorsCommand = {
  summary: 'check the connector definitions under connectors/ (every problem by file and path), or list them with their last run',
  usage: 'huitong connectors check | huitong connectors list',
  async run(args: string[], config: Config, logger: Logger): Promise<void> {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    const [action] = positionals;
    if (action !== 'check' && action !== 'list') throw usage('say check or list');
    let definitions;
    try {
      definitions = loadDefinitions(config.connectorsDir ?? undefined);
    } catch (err) {
      if (err instanceof DefinitionError) {
        process.stdout.write(`${err.problems.map((p) => `- ${formatDefinitionProblem(p)}`).join('\n')}\n`);
        throw new Error(`${err.problems.length} problem(s) in connector definitions`);
      }
      throw err;
    }
    if (action === 'check') {
      process.stdout.write(`${definitions.length} connector definitions are valid: ${definitions.map((d) => `${d.id} (${d.kind})`).join(', ')}\n`);
      return;
    }
    const opened = await openDatabase(config, logger);
    try {
      for (const d of definitions) {
        const [last] = await listRuns(opened.db.pool, d.id, 1, null);
        const run = last ? `run ${last.id} ${last.state} ${last.startedAt}: fetched ${last.fetched}, applied ${last.applied}, unchanged ${last.unchanged}, quarantined ${last.quarantined}` : 'never run';
        process.stdout.write(`${d.id.padEnd(30)} ${d.kind.padEnd(8)} ${d.resource.padEnd(32)} ${(d.schedule ?? '-').padEnd(14)} ${run}\n`);
      }
    } finally {
      await opened.close();
    }
  },
};

/** `huitong sync <connector> [--full]`: a run now, with progress; exit code 1 if it fails or runs elsewhere. */
export const syncCommand = {
  summary: 'run a connector now, showing progress (--full: re-read the whole source and report what differs)',
  usage: 'huitong sync CONNECTOR [--full] [--batch-size N]',
  async run(args: string[], config: Config, logger: Logger): Promise<void> {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { full: { type: 'boolean', default: false }, 'batch-size': { type: 'string' } } });
    if (positionals.length !== 1) throw usage('name one connector (huitong connectors list)');
    const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
    if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 20_000)) throw usage('--batch-size: a whole number from 1 to 20000');
    const opened = await openDatabase(config, logger);
    try {
      const exchange = Exchange.load(opened.db.pool, logger, commandEnv(config), config.connectorsDir ?? undefined, batchSize ? { batchSize } : undefined);
      const started = Date.now();
      const tty = process.stderr.isTTY;
      const result = await exchange.run(positionals[0], {
        full: values.full,
        startedBy: 'cli',
        progress: (c) => {
          const rate = Math.round(c.fetched / Math.max(0.001, (Date.now() - started) / 1000));
          const line = `fetched ${c.fetched.toLocaleString('en')}  applied ${c.applied.toLocaleString('en')}  unchanged ${c.unchanged.toLocaleString('en')}  quarantined ${c.quarantined.toLocaleString('en')}  ${rate.toLocaleString('en')} records/s`;
          process.stderr.write(tty ? `\r${line}   ` : `${line}\n`);
        },
      });
      if (tty) process.stderr.write('\n');
      if (result.state === 'busy') throw new Error(result.reason);
      const c = result.counts;
      const s = (Date.now() - started) / 1000;
      process.stdout.write(
        `run ${result.runId} ${result.state} in ${s.toFixed(1)} s: fetched ${c.fetched}, applied ${c.applied} (created ${c.created}, changed ${c.changed}), unchanged ${c.unchanged}, quarantined ${c.quarantined}${result.full ? `, deleted at the source ${c.deleted}` : ''}\n`,
      );
      if (result.full) {
        const agreed = c.created + c.changed + c.deleted === 0;
        process.stdout.write(`reconciliation: ${agreed ? 'the hub agreed with the source' : `${c.created} records were missing, ${c.changed} differed (now applied) and ${c.deleted} were gone from the source (closed)`}\n`);
      }
      if (result.state === 'failed') throw new Error(result.error ?? 'the run failed');
    } finally {
      await opened.close();
    }
  },
};

/** `huitong quarantine list|show|replay|discard`: replays and discards are audited, as through the API. */
export const quarantineCommand = {
  summary: 'list quarantined records, show one, replay one (as delivered or fixed) or discard one',
  usage: 'huitong quarantine list [--connector ID] [--state open|replayed|discarded] | show ID | replay ID [--payload JSON] --reason TEXT | discard ID --reason TEXT',
  async run(args: string[], config: Config, logger: Logger): Promise<void> {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { connector: { type: 'string' }, state: { type: 'string', default: 'open' }, payload: { type: 'string' }, reason: { type: 'string' }, first: { type: 'string', default: '50' } },
    });
    const [action, id] = positionals;
    if (!['list', 'show', 'replay', 'discard'].includes(action ?? '')) throw usage('say list, show, replay or discard');
    if (action !== 'list' && !id) throw usage(`name the quarantined record to ${action}`);
    if ((action === 'replay' || action === 'discard') && !values.reason?.trim()) throw usage('--reason is required');
    let payload: unknown;
    if (values.payload !== undefined) {
      try {
        payload = JSON.parse(values.payload);
      } catch {
        throw usage('--payload must be JSON');
      }
    }
    const opened = await openDatabase(config, logger);
    const trail = action === 'replay' || action === 'discard' ? await openCommandTrail(config, opened.db, `quarantine-${action}`) : null;
    try {
      const exchange = Exchange.load(opened.db.pool, logger, commandEnv(config), config.connectorsDir ?? undefined);
      if (action === 'list' || action === 'show') {
        const rows = action === 'list' ? await listQuarantine(opened.db.pool, { connector: values.connector, state: values.state }, Number(values.first), null) : await listQuarantine(opened.db.pool, {}, 1, Number(id) - 1);
        const shown = action === 'show' ? rows.filter((r) => r.id === id) : rows;
        // The operator reads raw personal data here: entered in the trail like an API read.
        const read = await openCommandTrail(config, opened.db, `quarantine-${action}`);
        try {
          await auditedChange(opened.db.pool, read.log, read.actor, { action: `quarantine ${action}`, arguments: { connector: values.connector ?? null, id: id ?? null, shown: shown.map((r) => r.id) }, reason: null }, async () => ({ result: null }));
        } finally {
          await read.close();
        }
        for (const r of shown) {
          process.stdout.write(action === 'list' ? `${r.id.padStart(6)} ${r.connector} ${r.step} ${r.sourceKey ?? '-'} ${r.state}: ${r.errors.join('; ')}\n` : `${JSON.stringify(r, null, 2)}\n`);
        }
        if (action === 'show' && !shown.length) throw new Error(`no quarantined record ${id}`);
        return;
      }
      const outcome = await auditedChange(opened.db.pool, trail!.log, trail!.actor, { action: `quarantine ${action}`, arguments: { id, payload: payload ?? null }, reason: values.reason! }, async (client) => {
        if (action === 'discard') {
          const row = await exchange.discard(client, id!, values.reason!, `${trail!.actor.department}/${trail!.actor.system}`);
          return { result: `discarded ${row.id}`, detail: { connector: row.connector, sourceKey: row.sourceKey } };
        }
        const done = await exchange.replay(client, id!, payload, `${trail!.actor.department}/${trail!.actor.system}`);
        return { result: done.ok ? `replayed ${id}: ${done.outcome}` : `still quarantined ${id} at ${done.step}: ${done.errors.join('; ')}`, detail: done.ok ? { outcome: done.outcome } : { step: done.step, errors: done.errors } };
      });
      process.stdout.write(`${outcome}\n`);
    } finally {
      await trail?.close();
      await opened.close();
    }
  },
};
