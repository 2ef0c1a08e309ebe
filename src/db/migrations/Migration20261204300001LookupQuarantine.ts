import { Migration } from '@mikro-orm/migrations';

/**
 * A `lookup` answer that breaks its resource's record schema is kept in quarantine like a synced
 * record, but it belongs to no sync run (it was asked at query time): `run_id` may be null. Such
 * a record is never replayed into the hub (the data stays at the source); it can be discarded.
 */
export class Migration20261204300001LookupQuarantine extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table quarantine_record alter column run_id drop not null;');
  }
}
