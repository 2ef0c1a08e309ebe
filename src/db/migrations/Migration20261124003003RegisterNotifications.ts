import { Migration } from '@mikro-orm/migrations';

/**
 * Tells every hub instance at once when departments, purposes or system keys change
 * (`NOTIFY huitong_registers, '<table>'`), so what they hold in memory is never stale for long,
 * and a revoked key stops working immediately.
 */
export class Migration20261124003003RegisterNotifications extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create function notify_register_change() returns trigger language plpgsql as $$
      begin
        perform pg_notify('huitong_registers', tg_table_name);
        return null;
      end $$;`);
    for (const table of ['department', 'purpose', 'system_key']) {
      this.addSql(
        `create trigger ${table}_changed after insert or update or delete or truncate on ${table} for each statement execute function notify_register_change();`,
      );
    }
  }

  override async down(): Promise<void> {
    for (const table of ['department', 'purpose', 'system_key']) this.addSql(`drop trigger ${table}_changed on ${table};`);
    this.addSql('drop function notify_register_change();');
  }
}
