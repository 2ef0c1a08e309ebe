import { Migration } from '@mikro-orm/migrations';

/**
 * The audit trail: an append-only, hash-chained log of every access to protected data, a one-row
 * head that serialises writers (across hub instances), and signed checkpoints of the chain.
 * The database itself refuses UPDATE, DELETE and TRUNCATE on the log and its checkpoints.
 */
export class Migration20261124003002Audit extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table audit_entry (
        seq bigint primary key check (seq > 0),
        at timestamptz not null,
        department text not null,
        system text not null,
        roles text[] not null,
        purpose text,
        case_number text,
        operation_name text,
        document_hash text not null,
        resources jsonb not null,
        subjects text[] not null,
        result_size integer not null,
        outcome text not null,
        prev_hash text not null,
        hash text not null unique
      );`);
    this.addSql('create index audit_entry_subjects on audit_entry using gin (subjects);');
    this.addSql(`
      create table audit_head (
        id boolean primary key default true check (id),
        seq bigint not null,
        hash text not null
      );`);
    this.addSql(`insert into audit_head (seq, hash) values (0, repeat('0', 64));`);
    this.addSql(`
      create table audit_checkpoint (
        seq bigint primary key,
        hash text not null,
        kid text not null,
        jws text not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`
      create function audit_refuse_change() returns trigger language plpgsql as $$
      begin
        raise exception '% is append-only: % refused', tg_table_name, tg_op using errcode = 'insufficient_privilege';
      end $$;`);
    // One round trip appends a whole batch and commits: the caller computed the chain from the head
    // it last saw; the head is locked and checked here, so a stale caller (another hub instance
    // wrote meanwhile) is refused with 40001 and retries from the new head.
    this.addSql(`
      create function audit_append(expected_seq bigint, expected_hash text, entries jsonb, new_seq bigint, new_hash text, checkpoint jsonb)
      returns void language plpgsql as $$
      declare
        head audit_head%rowtype;
      begin
        select * into head from audit_head for update;
        if head.seq <> expected_seq or head.hash <> expected_hash then
          raise exception 'audit head moved: now % %', head.seq, head.hash using errcode = 'serialization_failure';
        end if;
        insert into audit_entry select * from jsonb_populate_recordset(null::audit_entry, entries);
        update audit_head set seq = new_seq, hash = new_hash;
        if checkpoint is not null then
          insert into audit_checkpoint (seq, hash, kid, jws)
          select seq, hash, kid, jws from jsonb_populate_record(null::audit_checkpoint, checkpoint);
        end if;
      end $$;`);
    for (const table of ['audit_entry', 'audit_checkpoint']) {
      this.addSql(
        `create trigger ${table}_append_only before update or delete or truncate on ${table} for each statement execute function audit_refuse_change();`,
      );
    }
  }

  override async down(): Promise<void> {
    this.addSql('drop table audit_checkpoint;');
    this.addSql('drop table audit_head;');
    this.addSql('drop table audit_entry;');
    this.addSql('drop function audit_append(bigint, text, jsonb, bigint, text, jsonb);');
    this.addSql('drop function audit_refuse_change();');
  }
}
