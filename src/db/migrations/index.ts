import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261124000001Foundation } from './Migration20261124000001Foundation.js';
import { Migration20261124000002Divisions } from './Migration20261124000002Divisions.js';
import { Migration20261124001000BaseLibraries } from './Migration20261124001000BaseLibraries.js';
import { Migration20261124002001Spatial } from './Migration20261124002001Spatial.js';
import { Migration20261124003001SystemKeys } from './Migration20261124003001SystemKeys.js';
import { Migration20261124003002Audit } from './Migration20261124003002Audit.js';
import { Migration20261124003003RegisterNotifications } from './Migration20261124003003RegisterNotifications.js';
import { Migration20261124004001Catalog } from './Migration20261124004001Catalog.js';
import { Migration20261202200001AuditRoles } from './Migration20261202200001AuditRoles.js';
import { Migration20261202400001Authority } from './Migration20261202400001Authority.js';
import { Migration20261203300001DepartmentRecords } from './Migration20261203300001DepartmentRecords.js';
import { Migration20261204100002DepartmentRecordIndexes } from './Migration20261204100002DepartmentRecordIndexes.js';
import { Migration20261204100001SourceDeletions } from './Migration20261204100001SourceDeletions.js';
import { Migration20261203300002Exchange } from './Migration20261203300002Exchange.js';
import { Migration20261203400001Verification } from './Migration20261203400001Verification.js';
import { Migration20261204300001LookupQuarantine } from './Migration20261204300001LookupQuarantine.js';
import { Migration20261204300002DepartmentFoundBy } from './Migration20261204300002DepartmentFoundBy.js';
import { Migration20261203100001RateLimits } from './Migration20261203100001RateLimits.js';

/**
 * Every migration, oldest first. Listed by hand rather than found by a file glob, so the same
 * list runs under tsx, vitest and a compiled build.
 */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261124000001Foundation', class: Migration20261124000001Foundation },
  { name: 'Migration20261124000002Divisions', class: Migration20261124000002Divisions },
  { name: 'Migration20261124001000BaseLibraries', class: Migration20261124001000BaseLibraries },
  { name: 'Migration20261124002001Spatial', class: Migration20261124002001Spatial },
  { name: 'Migration20261124003001SystemKeys', class: Migration20261124003001SystemKeys },
  { name: 'Migration20261124003002Audit', class: Migration20261124003002Audit },
  { name: 'Migration20261124003003RegisterNotifications', class: Migration20261124003003RegisterNotifications },
  { name: 'Migration20261124004001Catalog', class: Migration20261124004001Catalog },
  { name: 'Migration20261202200001AuditRoles', class: Migration20261202200001AuditRoles },
  { name: 'Migration20261202400001Authority', class: Migration20261202400001Authority },
  { name: 'Migration20261203300001DepartmentRecords', class: Migration20261203300001DepartmentRecords },
  { name: 'Migration20261203300002Exchange', class: Migration20261203300002Exchange },
  { name: 'Migration20261203400001Verification', class: Migration20261203400001Verification },
  { name: 'Migration20261203100001RateLimits', class: Migration20261203100001RateLimits },
  { name: 'Migration20261204100001SourceDeletions', class: Migration20261204100001SourceDeletions },
  { name: 'Migration20261204100002DepartmentRecordIndexes', class: Migration20261204100002DepartmentRecordIndexes },
  { name: 'Migration20261204300001LookupQuarantine', class: Migration20261204300001LookupQuarantine },
  { name: 'Migration20261204300002DepartmentFoundBy', class: Migration20261204300002DepartmentFoundBy },
];
