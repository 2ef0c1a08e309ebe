import type { Database, EmbeddedState } from '../db/index.js';
import { pendingMigrations } from '../db/index.js';
import type { RepeatedFailures } from './throttle.js';

/** Readiness answers within this long, whatever the database does. */
export const READY_WITHIN_MS = 800;

export interface HealthReport {
  status: number;
  body: { status: string; [detail: string]: unknown };
}

/**
 * `/healthz` (is this process worth keeping?) and `/readyz` (should it get traffic now?).
 * Not ready while shutting down, while the embedded PostgreSQL restarts, or when the database does
 * not answer `select 1` within 800 ms (the probe never waits longer, and probes share one query in
 * flight). Not alive only when the embedded PostgreSQL could not be restarted: restarting the hub
 * is then the remedy. With `DATABASE_URL` the hub stays alive through an outage (a restart would
 * not bring the database back) and is ready again when it answers.
 */
export class HubHealth {
  draining = false;
  private probe: Promise<void> | null = null;
  private migrationsCurrent = false;

  constructor(
    private readonly db: Database,
    private readonly embedded: { state(): EmbeddedState } | null,
    private readonly failures: RepeatedFailures,
  ) {}

  alive(): HealthReport {
    if (this.embedded?.state() === 'failed') return { status: 503, body: { status: 'database failed', detail: 'the embedded PostgreSQL does not start again' } };
    return { status: 200, body: { status: 'ok' } };
  }

  async ready(): Promise<HealthReport> {
    if (this.draining) return { status: 503, body: { status: 'shutting down' } };
    const state = this.embedded?.state();
    if (state && state !== 'up') return { status: 503, body: { status: `database ${state}` } };
    this.probe ??= this.check().finally(() => (this.probe = null));
    const answered = await Promise.race([this.probe.then(() => 'ok' as const, (err: unknown) => err), sleep(READY_WITHIN_MS).then(() => 'late' as const)]);
    if (answered === 'late') return { status: 503, body: { status: 'database unreachable', detail: `no answer within ${READY_WITHIN_MS} ms` } };
    if (answered !== 'ok') {
      this.failures.report('readiness check failed', answered);
      if (answered instanceof PendingMigrations) return { status: 503, body: { status: 'migrations pending', pending: answered.pending } };
      return { status: 503, body: { status: 'database unreachable' } };
    }
    return { status: 200, body: { status: 'ready' } };
  }

  private async check(): Promise<void> {
    await this.db.pool.query('select 1');
    // Migrations change only when someone runs them: checked until found current, then not again.
    if (!this.migrationsCurrent) {
      const pending = await pendingMigrations(this.db);
      if (pending.length) throw new PendingMigrations(pending);
      this.migrationsCurrent = true;
    }
  }
}

class PendingMigrations extends Error {
  constructor(readonly pending: string[]) {
    super(`migrations pending: ${pending.join(', ')}`);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
