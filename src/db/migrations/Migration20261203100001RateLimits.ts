import { Migration } from '@mikro-orm/migrations';

/**
 * Rate-limit counts shared by every hub instance on the database (`HUITONG_RATE_LIMIT_STORE=postgres`),
 * in the layout rate-limiter-flexible's PostgreSQL store reads and writes: one row per caller and
 * window, `expire` in epoch milliseconds. Unlogged: counts are worth nothing after a crash, and a
 * WAL write per request would cost more than the limit saves. Created here, by the owner role,
 * because the runtime role may not create tables.
 */
export class Migration20261203100001RateLimits extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create unlogged table rate_limit (
        key varchar(255) primary key,
        points integer not null default 0,
        expire bigint
      );
    `);
  }

  override async down(): Promise<void> {
    this.addSql('drop table rate_limit;');
  }
}
