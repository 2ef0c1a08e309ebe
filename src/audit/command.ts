import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { openDatabase } from '../main.js';
import { CheckpointFile } from './checkpoint-file.js';
import { loadHubKeys } from './hub-key.js';
import { verifyChain } from './verify.js';

/**
 * `huitong audit verify`: walks the chain and its checkpoints; fails (exit 1) naming the first break.
 * Reads the hub keys (current and retired) and never writes one: a missing key file is reported.
 * Imported by the CLI directly, not through `index.ts`: it opens the database through `main.ts`,
 * which imports the server, which imports this folder.
 */
export const auditCommand = {
  summary: 'walk the audit chain and its signed checkpoints (in the database and in the checkpoint file), and name what was changed, removed, reordered or reset',
  usage: 'huitong audit verify',
  async run(args: string[], config: Config, logger: Logger): Promise<void> {
    if (args[0] !== 'verify' || args.length > 1) throw new Error('the only subcommand is: verify');
    const keys = await loadHubKeys(config.dataDir);
    const opened = await openDatabase(config, logger);
    try {
      const file = new CheckpointFile(config.auditCheckpointFile);
      const { checkpoints: anchors, unreadable } = await file.read();
      const report = await verifyChain(opened.db.pool, keys, { anchors, checkpointEvery: config.auditCheckpointEvery });
      if (report.ok && !unreadable.length) {
        process.stdout.write(
          `audit chain intact: ${report.entries} entries, ${report.checkpoints} signed checkpoints, ${anchors.length} in ${file.file}, ` +
            `keys ${keys.all.map((k) => k.kid).join(', ')}\n`,
        );
        return;
      }
      const lines = report.problems.map(({ seq, problem, detail }) => `audit chain broken at entry ${seq} (${problem}): ${detail}`);
      if (unreadable.length) lines.push(`${file.file}: lines ${unreadable.join(', ')} are not checkpoints`);
      throw new Error(lines.join('\n'));
    } finally {
      await opened.close();
    }
  },
};
