import type { Logger } from '../log.js';

/**
 * Logs a failure that repeats (the same message and cause, e.g. every request while the database is
 * down) once per interval with a count, instead of once per occurrence: the first at once, then one
 * line per interval saying how many more there were.
 */
export class RepeatedFailures {
  private readonly open = new Map<string, { count: number; timer: NodeJS.Timeout }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
  ) {}

  report(message: string, err: unknown, fields: Record<string, unknown> = {}): void {
    const key = `${message}\u0000${causeOf(err)}`;
    const seen = this.open.get(key);
    if (seen) {
      seen.count += 1;
      return;
    }
    this.logger.error({ err, ...fields }, message);
    const entry = {
      count: 0,
      timer: setTimeout(() => {
        this.open.delete(key);
        if (entry.count) this.logger.error({ repeated: entry.count, intervalMs: this.intervalMs, cause: causeOf(err), ...fields }, `${message} (repeated)`);
      }, this.intervalMs),
    };
    entry.timer.unref();
    this.open.set(key, entry);
  }

  /** Writes the pending counts now (at shutdown). */
  flush(): void {
    for (const [key, entry] of this.open) {
      clearTimeout(entry.timer);
      if (entry.count) this.logger.error({ repeated: entry.count, cause: key.split('\u0000')[1] }, `${key.split('\u0000')[0]} (repeated)`);
    }
    this.open.clear();
  }
}

function causeOf(err: unknown): string {
  const e = err as { code?: string; message?: string } | null;
  return `${e?.code ?? ''} ${e?.message ?? String(err)}`.trim();
}
