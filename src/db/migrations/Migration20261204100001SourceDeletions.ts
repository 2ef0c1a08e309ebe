import { Migration } from '@mikro-orm/migrations';

/**
 * Deletions at the source, noticed by a reconciliation (`huitong sync --full`): the keys a full
 * run has read (`sync_seen_key`, unlogged: scratch space of a running reconciliation, worthless
 * after a crash, which only means the next full run reads again), the versions such a run closed
 * because their source no longer has them (`sync_deletion`, the provenance of the close: which
 * run, which connector, when), and the count on the run.
 */
export class Migration20261204100001SourceDeletions extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table sync_run add column deleted bigint not null default 0;');
    this.addSql('create unlogged table sync_seen_key (run_id bigint not null, source_key text not null);');
    this.addSql('create index sync_seen_key_run_idx on sync_seen_key (run_id);');
    this.addSql(`
      create table sync_deletion (
        id bigint generated always as identity primary key,
        run_id bigint not null references sync_run (id),
        connector text not null,
        resource_code text not null,
        target_table text not null,
        version_id bigint not null,
        source_key text not null,
        subject text,
        closed_at timestamptz not null default now()
      );`);
    this.addSql('create index sync_deletion_run_idx on sync_deletion (run_id);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table sync_deletion, sync_seen_key;');
    this.addSql('alter table sync_run drop column deleted;');
  }
}
