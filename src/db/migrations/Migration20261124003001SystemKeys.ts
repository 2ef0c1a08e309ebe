import { Migration } from '@mikro-orm/migrations';

/** Public keys that department systems sign their own tokens with (`huitong key register`). */
export class Migration20261124003001SystemKeys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table system_key (
        kid text primary key check (length(kid) between 1 and 200),
        department text not null references department (code),
        system text not null check (system ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'),
        alg text not null check (alg in ('RS256', 'ES256', 'EdDSA')),
        public_jwk jsonb not null,
        created_at timestamptz not null default now(),
        revoked_at timestamptz
      );`);
    this.addSql('create index system_key_system on system_key (system);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table system_key;');
  }
}
