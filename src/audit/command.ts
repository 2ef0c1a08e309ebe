import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { openDatabase } from '../main.js';
import { loadHubKey } from './hub-key.js';
import { verifyChain } from './verify.js';

/**
 * `huitong audit verify`: walks the chain and its checkpoints; fails (exit 1) naming the first break.
 * Imported by the CLI directly, not through `index.ts`: it opens the database through `main.ts`,
 * which imports the server, which imports this folder.
 */
export const auditCommand = {
  summary: 'walk the audit chain and its signed checkpoints, and name the first entry changed, removed or reordered',
  usage: 'huitong audit verify',
  async run(args: string[], config: Config, logger: Logger): Promise<void> {
    if (args[0] !== 'verify' || args.length > 1) throw new Error('the only subcommand is: verify');
    const key = await loadHubKey(config.dataDir);
    const opened = await openDatabase(config, logger);
    try {
      const report = await verifyChain(opened.db.pool, key);
      if (report.ok) {
        process.stdout.write(`audit chain intact: ${report.entries} entries, ${report.checkpoints} signed checkpoints\n`);
        return;
      }
      const { seq, problem, detail } = report.firstBreak!;
      throw new Error(`audit chain broken at entry ${seq} (${problem}): ${detail}`);
    } finally {
      await opened.close();
    }
  },
};
