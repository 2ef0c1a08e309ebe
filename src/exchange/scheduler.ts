import { schedule, type ScheduledTask } from 'node-cron';
import type { Exchange } from './service.js';

/**
 * Runs every enabled connector on its cron schedule (hub time zone). Every hub process may
 * schedule the same connectors: the advisory lock lets one of them run it, the others skip.
 */
export function scheduleConnectors(exchange: Exchange): { stop(): Promise<void> } {
  const tasks: ScheduledTask[] = [];
  for (const d of exchange.definitions.values()) {
    if (d.kind === 'lookup' || !d.schedule || d.enabled === false) continue;
    tasks.push(
      schedule(
        d.schedule,
        async () => {
          const result = await exchange.run(d.id, { startedBy: 'schedule' });
          if (result.state === 'busy') exchange.logger.debug({ connector: d.id }, 'scheduled run skipped: running elsewhere');
        },
        { name: `connector:${d.id}`, noOverlap: true },
      ),
    );
  }
  exchange.logger.info({ scheduled: tasks.length }, 'connector schedules started');
  return {
    async stop() {
      await Promise.all(tasks.map((t) => t.stop()));
      await exchange.stop();
    },
  };
}
