import { Migration } from '@mikro-orm/migrations';

/** Extensions every library relies on, the hub's own state, and its registers of departments and purposes. */
export class Migration20261124000001Foundation extends Migration {
  override async up(): Promise<void> {
    this.addSql('create extension if not exists pg_trgm;');
    this.addSql('create extension if not exists btree_gist;');
    this.addSql(`
      create table hub_state (
        key text primary key,
        value jsonb not null,
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`
      create table department (
        code text primary key check (code ~ '^[a-z][a-z0-9-]{1,40}$'),
        name text not null,
        name_en text not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`
      create table purpose (
        code text primary key check (code ~ '^[a-z][a-z0-9-]{1,60}$'),
        name text not null,
        legal_basis text not null,
        created_at timestamptz not null default now()
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table purpose;');
    this.addSql('drop table department;');
    this.addSql('drop table hub_state;');
  }
}
