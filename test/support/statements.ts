import type pg from 'pg';
import { vi } from 'vitest';

/**
 * Watches the SQL a request sends through the pool, leaving out the audit log's own flush, which
 * every audited answer waits for and which is no data access.
 */
export function watchStatements(pool: pg.Pool) {
  const spy = vi.spyOn(pool, 'query');
  return {
    get sql(): string[] {
      return spy.mock.calls.map(([sql]) => String(typeof sql === 'object' ? (sql as { text: string }).text : sql)).filter((sql) => !sql.includes("'huitong-audit'"));
    },
    restore: () => spy.mockRestore(),
  };
}
