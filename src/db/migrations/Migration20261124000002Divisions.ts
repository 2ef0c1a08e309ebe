import { Migration } from '@mikro-orm/migrations';

/**
 * Administrative divisions (行政区划): GB/T 2260 codes (6 digits) for provinces, prefectures and
 * counties, statistical codes (统计用区划代码) for townships (9) and villages (12). Codes no longer
 * in use stay, with `valid_to` set: ID numbers keep the code of their day.
 */
export class Migration20261124000002Divisions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table division (
        code text primary key check (code ~ '^([0-9]{6}|[0-9]{9}|[0-9]{12})$'),
        name text not null,
        level text not null check (level in ('province', 'prefecture', 'county', 'township', 'village')),
        parent_code text references division (code),
        statistical_only boolean not null default false,
        valid_from date,
        valid_to date,
        note text
      );`);
    this.addSql('create index division_parent_idx on division (parent_code);');
    this.addSql('create index division_name_trgm_idx on division using gin (name gin_trgm_ops);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table division;');
  }
}
