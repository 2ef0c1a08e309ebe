import { Migration } from '@mikro-orm/migrations';

/**
 * The resource catalogue (政务信息资源目录): resources with every version of their declaration,
 * access requests with each step taken on them, and the grants they lead to.
 */
export class Migration20261124004001Catalog extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table catalog_resource (
        code text primary key check (code ~ '^[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)+$'),
        version int not null,
        provider text not null references department (code),
        class text not null check (class in ('base', 'theme', 'department')),
        sharing_type text not null check (sharing_type in ('unconditional', 'conditional', 'none')),
        sensitivities text[] not null,
        declaration jsonb not null,
        -- names, summary and item names and titles in both languages, for trigram search
        search_text text not null,
        retired_at timestamptz,
        updated_at timestamptz not null default now()
      );`);
    this.addSql('create index catalog_resource_search_idx on catalog_resource using gin (search_text gin_trgm_ops);');
    this.addSql(`
      create table catalog_resource_version (
        code text not null references catalog_resource (code),
        version int not null,
        change text not null check (change in ('registered', 'updated', 'retired', 'reinstated')),
        declaration jsonb not null,
        diff jsonb not null,
        changed_by text not null,
        reason text not null,
        changed_at timestamptz not null default now(),
        primary key (code, version)
      );`);
    this.addSql(`
      create table access_request (
        id bigint generated always as identity primary key,
        resource text not null references catalog_resource (code),
        consumer text not null references department (code),
        fields text[] not null,
        purpose text not null references purpose (code),
        legal_basis text not null,
        valid_from date not null,
        valid_until date not null check (valid_until >= valid_from),
        status text not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
        requested_by text not null,
        requested_at timestamptz not null default now(),
        due_on date not null
      );`);
    this.addSql(`
      create table access_grant (
        id bigint generated always as identity primary key,
        request_id bigint not null unique references access_request (id),
        resource text not null references catalog_resource (code),
        consumer text not null references department (code),
        purpose text not null references purpose (code),
        -- field name -> 'clear' | 'masked'
        fields jsonb not null,
        valid_from date not null,
        valid_until date not null,
        granted_by text not null,
        granted_at timestamptz not null default now(),
        revoked_at timestamptz,
        revoked_by text,
        revoke_reason text
      );`);
    this.addSql('create index access_grant_live_idx on access_grant (consumer, resource) where revoked_at is null;');
    this.addSql(`
      create table access_request_event (
        id bigint generated always as identity primary key,
        request_id bigint not null references access_request (id),
        kind text not null check (kind in ('requested', 'approved', 'rejected', 'revoked')),
        actor text not null,
        reason text,
        detail jsonb not null default '{}',
        at timestamptz not null default now()
      );`);
    this.addSql('create index access_request_event_request_idx on access_request_event (request_id);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table access_request_event;');
    this.addSql('drop table access_grant;');
    this.addSql('drop table access_request;');
    this.addSql('drop table catalog_resource_version;');
    this.addSql('drop table catalog_resource;');
  }
}
