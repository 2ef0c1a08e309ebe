import path from 'node:path';
import { parseArgs } from 'node:util';
import { openCommandTrail } from './changes.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { openDatabase } from '../main.js';
import { DeclarationError, formatProblem } from './declaration.js';
import type { Outcome } from './resources.js';
import { syncResources } from './resources.js';
import { importCatalog } from './spreadsheet.js';
import { syncRegisters } from './registers.js';

const USAGE = 'huitong catalog sync [--dry-run] | huitong catalog import FILE.xlsx|FILE.csv [--dry-run] [--reason TEXT]';

// The CLI reports errors whose code starts with ERR_PARSE_ARGS as usage errors (exit 2).
const usage = (message: string) => Object.assign(new Error(message), { code: 'ERR_PARSE_ARGS_CATALOG' });
// A refusal whose report is already printed: the command ends with it (exit 1), no log line or stack.
const refusal = (message: string) => Object.assign(new Error(message), { code: 'ERR_HUITONG_REFUSED' });

function describe(o: Outcome): string {
  if (o.change === 'refused') return `refused     ${o.code ?? o.source}\n${o.problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`;
  const diff = o.diff.length ? `: ${o.diff.map((d) => d.path).join(', ')}` : '';
  return `${o.change.padEnd(11)} ${o.code} (version ${o.version})${o.change === 'updated' ? diff : ''}`;
}

/** `huitong catalog sync` and `huitong catalog import`. */
export const catalogCommand = {
  summary: 'register catalogue resources from catalog/resources/, or import a spreadsheet (see README)',
  usage: USAGE,
  async run(args: string[], config: Config, logger: Logger): Promise<void> {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { 'dry-run': { type: 'boolean', default: false }, reason: { type: 'string' } },
    });
    const [action, file, ...rest] = positionals;
    if (action !== 'sync' && action !== 'import') throw usage(`say sync or import`);
    if (action === 'import' && !file) throw usage('name the spreadsheet to import');
    if ((action === 'sync' && file) || rest.length) throw usage(`unexpected: ${[file, ...rest].filter(Boolean).join(' ')}`);
    const dryRun = values['dry-run'];
    const opened = await openDatabase(config, logger);
    // Dry runs write nothing, departments and purposes included, and so need no trail.
    const trail = dryRun ? null : await openCommandTrail(config, opened.db, `catalog-${action}`);
    try {
      const registers = await syncRegisters(opened.db.pool, trail, { dryRun });
      if (registers.changed.length) process.stdout.write(`${dryRun ? 'would change' : 'changed'}: ${registers.changed.join(', ')}\n`);
      if (action === 'sync') {
        try {
          const outcomes = await syncResources(opened.db.pool, trail, { dryRun, operator: config.operatorDepartment });
          process.stdout.write(`${outcomes.map(describe).join('\n')}\n${dryRun ? 'dry run: nothing stored\n' : ''}`);
          if (outcomes.some((o) => o.change === 'refused')) throw refusal('some declarations are refused: nothing stored');
        } catch (err) {
          if (err instanceof DeclarationError) throw refusal(err.message);
          throw err;
        }
        return;
      }
      const reason = values.reason ?? `spreadsheet import of ${file}`;
      const reports = await importCatalog(
        opened.db.pool,
        file!,
        { actor: 'catalog import', reason, trail: trail ? { ...trail, action: 'catalog import', arguments: { file: path.basename(file!), dryRun } } : undefined },
        { dryRun },
      );
      for (const r of reports) {
        process.stdout.write(`row ${String(r.row).padEnd(4)} ${r.change.padEnd(11)} ${r.code ?? ''}${r.problems.map((p) => `\n  - ${p}`).join('')}\n`);
      }
      const refused = reports.some((r) => r.change === 'refused');
      if (refused) throw refusal(`refused, nothing stored (${reports.filter((r) => r.problems.length).length} row(s) with problems)`);
      process.stdout.write(dryRun ? 'dry run: nothing stored\n' : 'imported\n');
    } finally {
      await trail?.close();
      await opened.close();
    }
  },
};
