import { Migration } from '@mikro-orm/migrations';

/**
 * Department data that is not a base library (tax, social insurance, provident fund, vehicles,
 * disability, assistance, medical costs, grid events): one versioned table for every such
 * catalogue resource, so a new department dataset is a declaration, a record schema and a
 * connector definition, never a migration. The payload is the record as mapped onto the
 * resource's record schema; `subject` is its subject key (ID number or credit code) when the
 * resource has one, the way the contract finds it. Versions and provenance as in the libraries.
 */
export class Migration20261203300001DepartmentRecords extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table department_record (
        version_id bigint generated always as identity primary key,
        resource_code text not null,
        record_key text not null,
        subject text,
        payload jsonb not null,
        source_system text not null,
        source_key text not null,
        resource_version text not null,
        fetched_at timestamptz not null,
        applied_at timestamptz not null default now(),
        valid_from timestamptz not null default now(),
        valid_to timestamptz,
        check (valid_to is null or valid_to > valid_from)
      );`);
    this.addSql('create unique index department_record_current_idx on department_record (resource_code, record_key) where valid_to is null;');
    this.addSql('create index department_record_history_idx on department_record (resource_code, record_key, valid_from);');
    this.addSql('create index department_record_subject_idx on department_record (resource_code, subject) where valid_to is null;');
  }

  override async down(): Promise<void> {
    this.addSql('drop table department_record;');
  }
}
