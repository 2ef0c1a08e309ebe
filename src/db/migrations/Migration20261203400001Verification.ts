import { Migration } from '@mikro-orm/migrations';

/**
 * Low-income household verifications, stored as decided under their reference number: the row is
 * written once and the database refuses any change to it (the trigger belongs to the owner role,
 * which the hub does not run as), so `verification(reference:)` always answers what was decided.
 * Batches of verifications and their households, each household marked done in the same
 * transaction as its verification row, so a batch resumed after a crash neither repeats nor skips.
 */
export class Migration20261203400001Verification extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table verification (
        reference text primary key,
        scheme_code text not null,
        scheme_version text not null,
        applicant_id_number text not null,
        department text not null,
        system text not null,
        purpose text not null,
        case_number text not null,
        verdict text not null check (verdict in ('ELIGIBLE', 'NOT_ELIGIBLE', 'INCOMPLETE')),
        check_date date not null,
        decided_at timestamptz not null default now(),
        batch_id bigint,
        result jsonb not null
      );`);
    this.addSql('create index verification_applicant_idx on verification (applicant_id_number, decided_at desc);');
    this.addSql('create index verification_batch_idx on verification (batch_id) where batch_id is not null;');
    this.addSql(`
      create function verification_as_decided() returns trigger language plpgsql as $$
      begin
        raise exception 'a stored verification is never changed (reference %)', old.reference using errcode = 'insufficient_privilege';
      end $$;`);
    this.addSql('create trigger verification_as_decided before update or delete on verification for each row execute function verification_as_decided();');
    this.addSql(`
      create table verification_batch (
        id bigint generated always as identity primary key,
        name text not null,
        state text not null default 'running' check (state in ('running', 'paused', 'done')),
        total int not null,
        done int not null default 0,
        department text not null,
        system text not null,
        purpose text not null,
        case_number text not null,
        check_date date,
        created_at timestamptz not null default now(),
        first_done_at timestamptz,
        finished_at timestamptz
      );`);
    this.addSql(`
      create table verification_batch_item (
        batch_id bigint not null references verification_batch (id),
        position int not null,
        applicant_id_number text not null,
        declared_members text[] not null,
        previous_verdict text,
        status text not null default 'pending' check (status in ('pending', 'done')),
        reference text references verification (reference),
        verdict text,
        error text,
        done_at timestamptz,
        primary key (batch_id, position)
      );`);
    // Batch workers' heartbeats: jobs locked by a worker that stopped beating (a killed process) are unlocked.
    this.addSql(`
      create table verification_worker (
        worker_id text primary key,
        process text not null,
        heartbeat_at timestamptz not null default now()
      );`);
    this.addSql(`create index verification_batch_pending_idx on verification_batch_item (batch_id, position) where status = 'pending';`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table verification_worker, verification_batch_item, verification_batch, verification;');
    this.addSql('drop function verification_as_decided();');
  }
}
