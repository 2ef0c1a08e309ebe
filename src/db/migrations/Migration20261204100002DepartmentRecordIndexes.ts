import { Migration } from '@mikro-orm/migrations';

/**
 * Fewer indexes touched by each record a connector writes into `department_record`: a new
 * (current) version entered four (identity, current key, key history, current subject), three of
 * them on random keys, which is what slows an ingest as the table outgrows memory. Now:
 * - the key history holds closed versions only (`valid_to is not null`): a version enters it when
 *   it is closed, not when it is written; the current version of a key is in the unique current index;
 * - the subject index holds every version with its `valid_from`, so reads by subject as of a past
 *   time (verification, the contract's `asOf`) are served too, not only current ones.
 * A new record now enters three indexes (identity, current key, subject).
 */
export class Migration20261204100002DepartmentRecordIndexes extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop index department_record_history_idx;');
    this.addSql('create index department_record_history_idx on department_record (resource_code, record_key, valid_from) where valid_to is not null;');
    this.addSql('drop index department_record_subject_idx;');
    this.addSql('create index department_record_subject_idx on department_record (resource_code, subject, valid_from);');
  }

  override async down(): Promise<void> {
    this.addSql('drop index department_record_subject_idx;');
    this.addSql('create index department_record_subject_idx on department_record (resource_code, subject) where valid_to is null;');
    this.addSql('drop index department_record_history_idx;');
    this.addSql('create index department_record_history_idx on department_record (resource_code, record_key, valid_from);');
  }
}
