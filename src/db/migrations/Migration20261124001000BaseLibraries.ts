import { Migration } from '@mikro-orm/migrations';

/**
 * Provenance of every base-library record: which department system delivered it, under which
 * catalogue resource and version, and when it was fetched and applied.
 */
const PROVENANCE = `
  source_system text not null,
  source_key text not null,
  resource_code text not null,
  resource_version text not null,
  fetched_at timestamptz not null,
  applied_at timestamptz not null default now()`;

/**
 * History: a change closes the current version (sets `valid_to`) and inserts a new one. The
 * current version of a key is found through a partial unique index (`… where valid_to is null`),
 * one index probe like a primary key; `asOf` look-ups use the (key, valid_from) index.
 */
const HISTORY = `
  valid_from timestamptz not null default now(),
  valid_to timestamptz,
  check (valid_to is null or valid_to > valid_from)`;

const ID_NUMBER = `~ '^[0-9]{17}[0-9X]$'`;
const CREDIT_CODE = `~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'`;
const UNIT_NUMBER = `~ '^[0-9]{12}[GJZ][A-HSWXY][0-9]{5}[FLQW][0-9]{8}$'`;

/** Population (人口), legal entities (法人) with their economic facts, property and housing (房产房屋). */
export class Migration20261124001000BaseLibraries extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table person (
        version_id bigint generated always as identity primary key,
        id_number text not null check (id_number ${ID_NUMBER}),
        name text not null,
        former_names text[] not null default '{}',
        gender text not null check (gender in ('male', 'female')),
        birth_date date not null,
        ethnicity text not null,
        residence_division text not null references division (code),
        address text,
        marital_status text not null check (marital_status in ('unmarried', 'married', 'divorced', 'widowed')),
        status text not null check (status in ('living', 'deceased', 'moved_out')),
        household_number text,
        relation_to_head text,
        ${PROVENANCE},
        ${HISTORY}
      );`);
    this.addSql(`
      create table household (
        version_id bigint generated always as identity primary key,
        number text not null,
        head_id_number text not null check (head_id_number ${ID_NUMBER}),
        address text not null,
        division_code text not null references division (code),
        ${PROVENANCE},
        ${HISTORY}
      );`);
    this.addSql(`
      create table legal_entity (
        version_id bigint generated always as identity primary key,
        credit_code text not null check (credit_code ${CREDIT_CODE}),
        name text not null,
        kind text not null,
        representative_id_number text check (representative_id_number ${ID_NUMBER}),
        registered_capital numeric(18, 2),
        established_on date not null,
        status text not null,
        address text not null,
        division_code text not null references division (code),
        industry_code text check (industry_code ~ '^[A-T]([0-9]{2,4})?$'),
        business_scope text,
        ${PROVENANCE},
        ${HISTORY}
      );`);
    this.addSql(`
      create table shareholding (
        version_id bigint generated always as identity primary key,
        credit_code text not null check (credit_code ${CREDIT_CODE}),
        holder_id_number text check (holder_id_number ${ID_NUMBER}),
        holder_credit_code text check (holder_credit_code ${CREDIT_CODE}),
        share numeric(7, 4) not null check (share > 0 and share <= 100),
        subscribed_capital numeric(18, 2),
        ${PROVENANCE},
        ${HISTORY},
        check ((holder_id_number is null) <> (holder_credit_code is null))
      );`);
    this.addSql(`
      create table economic_facts (
        version_id bigint generated always as identity primary key,
        credit_code text not null check (credit_code ${CREDIT_CODE}),
        year int not null check (year between 1949 and 2100),
        tax_paid numeric(18, 2) not null,
        revenue_band text not null,
        employees int not null check (employees >= 0),
        insured_employees int not null check (insured_employees >= 0),
        ${PROVENANCE},
        ${HISTORY}
      );`);
    this.addSql(`
      create table property_unit (
        version_id bigint generated always as identity primary key,
        unit_number text not null check (unit_number ${UNIT_NUMBER}),
        kind text not null,
        usage text not null,
        floor_area numeric(10, 2) check (floor_area > 0),
        address text not null,
        division_code text not null references division (code),
        ${PROVENANCE},
        ${HISTORY}
      );`);
    this.addSql(`
      create table property_ownership (
        version_id bigint generated always as identity primary key,
        unit_number text not null check (unit_number ${UNIT_NUMBER}),
        owner_id_number text check (owner_id_number ${ID_NUMBER}),
        owner_credit_code text check (owner_credit_code ${CREDIT_CODE}),
        share numeric(7, 4) not null check (share > 0 and share <= 100),
        certificate_number text not null,
        registered_on date not null,
        ${PROVENANCE},
        ${HISTORY},
        check ((owner_id_number is null) <> (owner_credit_code is null))
      );`);
    this.addSql(`
      create table encumbrance (
        version_id bigint generated always as identity primary key,
        unit_number text not null check (unit_number ${UNIT_NUMBER}),
        kind text not null check (kind in ('mortgage', 'seizure')),
        holder text not null,
        certificate_number text,
        starts_on date not null,
        ends_on date,
        ${PROVENANCE},
        ${HISTORY}
      );`);
    for (const sql of BASE_LIBRARY_INDEXES) this.addSql(`${sql};`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table encumbrance, property_ownership, property_unit, economic_facts, shareholding, legal_entity, household, person;');
  }
}

/**
 * Indexes of the base-library tables, exported so that a bulk seed into empty tables can drop
 * them, COPY, and build them again (faster than maintaining them row by row).
 */
export const BASE_LIBRARY_INDEXES = [
  'create unique index person_current_idx on person (id_number) where valid_to is null',
  'create index person_history_idx on person (id_number, valid_from)',
  'create index person_household_idx on person (household_number) where valid_to is null',
  'create index person_division_idx on person (residence_division text_pattern_ops) where valid_to is null',
  'create index person_birth_idx on person (birth_date) where valid_to is null',
  'create index person_name_trgm_idx on person using gin (name gin_trgm_ops) where valid_to is null',
  'create unique index household_current_idx on household (number) where valid_to is null',
  'create index household_history_idx on household (number, valid_from)',
  'create unique index legal_entity_current_idx on legal_entity (credit_code) where valid_to is null',
  'create index legal_entity_history_idx on legal_entity (credit_code, valid_from)',
  'create index legal_entity_representative_idx on legal_entity (representative_id_number)',
  'create index legal_entity_division_idx on legal_entity (division_code text_pattern_ops) where valid_to is null',
  'create index legal_entity_name_trgm_idx on legal_entity using gin (name gin_trgm_ops) where valid_to is null',
  'create index shareholding_entity_idx on shareholding (credit_code, valid_from)',
  'create index shareholding_person_idx on shareholding (holder_id_number) where holder_id_number is not null',
  'create unique index economic_facts_current_idx on economic_facts (credit_code, year) where valid_to is null',
  'create index economic_facts_history_idx on economic_facts (credit_code, valid_from)',
  'create unique index property_unit_current_idx on property_unit (unit_number) where valid_to is null',
  'create index property_unit_history_idx on property_unit (unit_number, valid_from)',
  'create index property_ownership_unit_idx on property_ownership (unit_number, valid_from)',
  'create index property_ownership_person_idx on property_ownership (owner_id_number) where owner_id_number is not null',
  'create index property_ownership_entity_idx on property_ownership (owner_credit_code) where owner_credit_code is not null',
  'create index encumbrance_unit_idx on encumbrance (unit_number, valid_from)',
];
