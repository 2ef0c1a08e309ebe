import { Migration } from '@mikro-orm/migrations';

/**
 * Provenance and history, shared by every versioned record below: the department system and
 * record it came from, the catalogue resource (and version) it was delivered under, when it was
 * fetched and applied; and the time during which this version was the record's state. The
 * exclusion constraint keeps the versions of one record from overlapping.
 */
const versioned = (key: string) => `
  source_system text not null,
  source_key text not null,
  resource_code text not null,
  resource_version text not null,
  fetched_at timestamptz not null,
  applied_at timestamptz not null default now(),
  valid_from timestamptz not null,
  valid_to timestamptz,
  check (valid_to is null or valid_to > valid_from),
  exclude using gist (${key}, tstzrange(valid_from, valid_to) with &&)`;

/**
 * Spatial geography (grids, standard addresses, a location for every division), economic
 * indicators by division and period, and city components (城市部件).
 *
 * Codes are ASCII digits, collated "C" (byte order), so that a code's btree index also serves
 * prefix ranges (a county's addresses, a village's grids) and keyset pages.
 *
 * Geometry uses PostgreSQL's core `polygon` and `point` types (lng = x, lat = y, degrees) with GiST
 * indexes; distances in metres use `earthdistance`. The geometry loaded by the demo is synthetic.
 */
export class Migration20261124002001Spatial extends Migration {
  override async up(): Promise<void> {
    this.addSql('create extension if not exists cube;');
    this.addSql('create extension if not exists earthdistance;');

    this.addSql(`create index division_level_code_idx on division (level, code text_pattern_ops) where valid_to is null;`);
    this.addSql(`
      create table division_geometry (
        code text primary key references division (code),
        boundary polygon not null,
        centroid point not null,
        synthetic boolean not null default true
      );`);
    this.addSql('create index division_geometry_boundary_idx on division_geometry using gist (boundary);');

    this.addSql(`
      create table grid (
        version_id bigint generated always as identity primary key,
        code text collate "C" not null check (code ~ '^[0-9]{15}$'),
        name text not null,
        division_code text collate "C" not null references division (code),
        keeper_name text,
        keeper_phone text,
        boundary polygon not null,
        centroid point not null,
        -- Grids are numbered under their village: a division's grids are a range of codes.
        check (left(code, 12) = division_code),
        ${versioned('code with =')}
      );`);
    this.addSql('create unique index grid_current_idx on grid (code) where valid_to is null;');
    this.addSql('create index grid_boundary_idx on grid using gist (boundary) where valid_to is null;');

    this.addSql(`
      create table address (
        version_id bigint generated always as identity primary key,
        code text collate "C" not null check (code ~ '^[0-9]{18}$'),
        full_text text not null,
        division_code text collate "C" not null references division (code),
        grid_code text collate "C" not null,
        road text not null,
        house_number text not null,
        location point not null,
        check (left(code, 12) = division_code),
        ${versioned('code with =')}
      );`);
    this.addSql('create unique index address_current_idx on address (code) where valid_to is null;');
    this.addSql('create index address_grid_idx on address (grid_code, code) where valid_to is null;');

    this.addSql(`
      create table indicator (
        code text primary key check (code ~ '^[a-z][a-z0-9-]{1,60}$'),
        name text not null,
        name_en text not null,
        unit text not null,
        frequency text not null check (frequency in ('monthly', 'quarterly', 'yearly'))
      );`);
    this.addSql(`
      create table indicator_observation (
        version_id bigint generated always as identity primary key,
        indicator_code text not null references indicator (code),
        division_code text collate "C" not null references division (code),
        period text not null check (period ~ '^[0-9]{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$'),
        value numeric not null,
        -- First and last month the period covers (2023-Q2: 2023-04 … 2023-06), for range filters.
        period_start text not null generated always as (case
          when length(period) = 4 then period || '-01'
          when substr(period, 6, 1) = 'Q' then left(period, 5) || lpad((substr(period, 7, 1)::int * 3 - 2)::text, 2, '0')
          else period end) stored,
        period_end text not null generated always as (case
          when length(period) = 4 then period || '-12'
          when substr(period, 6, 1) = 'Q' then left(period, 5) || lpad((substr(period, 7, 1)::int * 3)::text, 2, '0')
          else period end) stored,
        ${versioned('indicator_code with =, division_code with =, period with =')}
      );`);
    this.addSql(`create unique index indicator_observation_current_idx
      on indicator_observation (division_code, indicator_code, period) where valid_to is null;`);
    this.addSql(`create index indicator_observation_indicator_idx
      on indicator_observation (indicator_code, period_start, division_code) where valid_to is null;`);

    this.addSql(`
      create table city_component (
        version_id bigint generated always as identity primary key,
        code text collate "C" not null check (code ~ '^[0-9]{16}$'),
        category text not null check (category ~ '^[0-9]{2}$'),
        subclass text not null check (subclass ~ '^[0-9]{4}$' and left(subclass, 2) = category),
        name text not null,
        division_code text collate "C" not null references division (code),
        grid_code text collate "C",
        address_code text collate "C",
        location point not null,
        owner_department text not null,
        maintenance_unit text not null,
        status text not null check (status in ('normal', 'damaged', 'missing', 'removed')),
        last_inspected_on date,
        -- The identifier starts with the county the component stands in.
        check (left(code, 6) = left(division_code, 6)),
        ${versioned('code with =')}
      );`);
    this.addSql('create unique index city_component_current_idx on city_component (code) where valid_to is null;');
    this.addSql(`create index city_component_division_idx
      on city_component (division_code, code) where valid_to is null;`);
    this.addSql(`create index city_component_earth_idx
      on city_component using gist (ll_to_earth(location[1], location[0])) where valid_to is null;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table city_component;');
    this.addSql('drop table indicator_observation;');
    this.addSql('drop table indicator;');
    this.addSql('drop table address;');
    this.addSql('drop table grid;');
    this.addSql('drop table division_geometry;');
    this.addSql('drop index division_level_code_idx;');
  }
}
