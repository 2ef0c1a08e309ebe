import type pg from 'pg';

/**
 * The registered departments and purposes, held in memory for the request path and reloaded when
 * the database announces a change (`createIdentity`). As a fallback should a notification be
 * missed, a code not found triggers one reload (at most once per `missReloadMs`) and the whole set
 * is reloaded when older than `maxAgeMs`.
 */
export class Registers {
  private departments = new Set<string>();
  private purposes = new Set<string>();
  private loadedAt = 0;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options = { maxAgeMs: 60_000, missReloadMs: 1_000 },
  ) {}

  async load(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const [departments, purposes] = await Promise.all([
          this.pool.query<{ code: string }>('select code from department'),
          this.pool.query<{ code: string }>('select code from purpose'),
        ]);
        this.departments = new Set(departments.rows.map((r) => r.code));
        this.purposes = new Set(purposes.rows.map((r) => r.code));
        this.loadedAt = Date.now();
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  isDepartment(code: string): Promise<boolean> {
    return this.has(() => this.departments, code);
  }

  isPurpose(code: string): Promise<boolean> {
    return this.has(() => this.purposes, code);
  }

  private async has(set: () => Set<string>, code: string): Promise<boolean> {
    const age = Date.now() - this.loadedAt;
    if (age > this.options.maxAgeMs) await this.load();
    if (set().has(code)) return true;
    if (Date.now() - this.loadedAt > this.options.missReloadMs) await this.load();
    return set().has(code);
  }
}
