import { Migration } from '@mikro-orm/migrations';

/**
 * Who may do what (issue 11): the roles each registered system key may use, catalogue changes
 * with their arguments in the audit trail, access requests that can be revoked or suspended,
 * resource changes proposed by a provider department, and the catalogue's history and event
 * tables made append-only like the audit log.
 */
export class Migration20261202400001Authority extends Migration {
  override async up(): Promise<void> {
    // Keys registered before roles were bound to them keep the least a system can do.
    this.addSql(`alter table system_key add column roles text[] not null default '{consumer}'
      check (cardinality(roles) > 0 and roles <@ array['consumer', 'provider', 'catalog-admin', 'auditor', 'platform-admin']);`);
    this.addSql('alter table system_key add column revoke_reason text;');
    // What a catalogue, grant or key change was asked with, why, and how it ended (null for data reads).
    this.addSql('alter table audit_entry add column change jsonb;');
    this.addSql('alter table access_request drop constraint access_request_status_check;');
    this.addSql(`alter table access_request add constraint access_request_status_check
      check (status in ('pending', 'approved', 'rejected', 'revoked', 'suspended'));`);
    // Each requested item's sensitivity when asked: approval sees what was raised since.
    this.addSql(`alter table access_request add column sensitivities jsonb not null default '{}';`);
    this.addSql('alter table access_request_event drop constraint access_request_event_kind_check;');
    this.addSql(`alter table access_request_event add constraint access_request_event_kind_check
      check (kind in ('requested', 'approved', 'rejected', 'revoked', 'suspended', 'reexamined'));`);
    this.addSql(`
      create table catalog_proposal (
        id bigint generated always as identity primary key,
        code text not null,
        department text not null references department (code),
        declaration jsonb not null,
        proposed_by text not null,
        reason text not null,
        proposed_at timestamptz not null default now(),
        status text not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
        decided_by text,
        decision_reason text,
        decided_at timestamptz
      );`);
    for (const table of ['catalog_resource_version', 'access_request_event']) {
      this.addSql(
        `create trigger ${table}_append_only before update or delete or truncate on ${table} for each statement execute function audit_refuse_change();`,
      );
    }
  }

  override async down(): Promise<void> {
    for (const table of ['catalog_resource_version', 'access_request_event']) this.addSql(`drop trigger ${table}_append_only on ${table};`);
    this.addSql('drop table catalog_proposal;');
    this.addSql('alter table access_request_event drop constraint access_request_event_kind_check;');
    this.addSql(`alter table access_request_event add constraint access_request_event_kind_check check (kind in ('requested', 'approved', 'rejected', 'revoked'));`);
    this.addSql('alter table access_request drop column sensitivities;');
    this.addSql('alter table access_request drop constraint access_request_status_check;');
    this.addSql(`alter table access_request add constraint access_request_status_check check (status in ('pending', 'approved', 'rejected'));`);
    this.addSql('alter table audit_entry drop column change;');
    this.addSql('alter table system_key drop column revoke_reason;');
    this.addSql('alter table system_key drop column roles;');
  }
}
