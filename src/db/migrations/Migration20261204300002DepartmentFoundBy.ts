import { Migration } from '@mikro-orm/migrations';

/**
 * Records found by an item other than their subject (a declaration's `foundBy`): a marriage by its
 * other party, a contribution by its employer, a grid event by its division. One partial
 * expression index per shipped (resource, item), so that those reads stay index reads and cost
 * nothing to other resources' writes. A dataset registered later with `foundBy` is read without
 * one (a scan of that resource's rows) until an index like these is added.
 */
export class Migration20261204300002DepartmentFoundBy extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index department_record_marriage_other_party_idx on department_record ((payload->>'otherPartyIdNumber')) where resource_code = 'civil-affairs.marriage';`);
    this.addSql(`create index department_record_contribution_employer_idx on department_record ((payload->>'employerCreditCode')) where resource_code = 'hrss.contribution';`);
    this.addSql(`create index department_record_grid_event_division_idx on department_record ((payload->>'divisionCode')) where resource_code = 'urban-management.grid-event';`);
  }
}
