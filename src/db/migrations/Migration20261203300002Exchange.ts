import { Migration } from '@mikro-orm/migrations';

/**
 * The connector runtime's own state: runs (with the counts whose sum is checked), the watermark
 * each connector has committed (moved in the same transaction as the batch it covers), records
 * held in quarantine with their raw payload and every error, and the files a `file` connector has
 * taken in (once per checksum).
 */
export class Migration20261203300002Exchange extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table sync_run (
        id bigint generated always as identity primary key,
        connector text not null,
        full_sync boolean not null default false,
        state text not null default 'running' check (state in ('running', 'succeeded', 'failed')),
        started_at timestamptz not null default now(),
        finished_at timestamptz,
        fetched bigint not null default 0,
        applied bigint not null default 0,
        unchanged bigint not null default 0,
        quarantined bigint not null default 0,
        created bigint not null default 0,
        changed bigint not null default 0,
        error text,
        started_by text not null,
        check (fetched = applied + unchanged + quarantined),
        check (applied = created + changed)
      );`);
    this.addSql('create index sync_run_connector_idx on sync_run (connector, id desc);');
    this.addSql(`
      create table sync_watermark (
        connector text primary key,
        position jsonb not null,
        run_id bigint not null references sync_run (id),
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`
      create table quarantine_record (
        id bigint generated always as identity primary key,
        connector text not null,
        run_id bigint not null references sync_run (id),
        resource_code text not null,
        resource_version text not null,
        source_key text,
        subject text,
        step text not null check (step in ('parse', 'mapping', 'validation', 'apply')),
        errors jsonb not null,
        payload jsonb not null,
        fetched_at timestamptz not null,
        state text not null default 'open' check (state in ('open', 'replayed', 'discarded')),
        resolved_at timestamptz,
        resolved_by text,
        resolution text
      );`);
    this.addSql('create index quarantine_open_idx on quarantine_record (connector, id) where state = \'open\';');
    this.addSql(`
      create table sync_file (
        connector text not null,
        checksum text not null,
        file_name text not null,
        run_id bigint not null references sync_run (id),
        outcome text not null check (outcome in ('done', 'rejected')),
        rows bigint not null,
        taken_at timestamptz not null default now(),
        primary key (connector, checksum)
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table sync_file, quarantine_record, sync_watermark, sync_run;');
  }
}
