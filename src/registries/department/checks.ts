import { compileRecordSchema, readRecordSchema } from '../../catalog/index.js';
import { quarantineLookupAnswer } from '../../exchange/index.js';
import type { HubServices } from '../../server/context.js';
import type { LookupChecks, RecordCheck } from './lookup.js';

/**
 * The checks a hub applies to its lookup answers: each record against its resource's record
 * schema as the catalogue holds it now (compiled once per resource version, as connectors do),
 * and a malformed answer kept in the exchange's quarantine, the connector named.
 */
export function lookupChecks(hub: Pick<HubServices, 'catalog' | 'db' | 'logger'>): LookupChecks {
  const compiled = new Map<string, RecordCheck | null>();
  return {
    validatorFor(resource) {
      const held = hub.catalog.declarations().get(resource);
      if (!held) return null;
      const key = `${resource}@${held.version}`;
      let check = compiled.get(key);
      if (check === undefined) {
        const read = readRecordSchema(held.declaration);
        if ('problem' in read) hub.logger.error({ resource, problem: read.problem }, 'lookup answers of this resource cannot be checked: its record schema is unreadable');
        check = 'problem' in read ? null : compileRecordSchema(read.schema);
        compiled.set(key, check);
      }
      return check ? { check, version: String(held.version) } : null;
    },
    quarantine: (entry) =>
      quarantineLookupAnswer(hub.db.pool, {
        connector: entry.connector, resourceCode: entry.resource, resourceVersion: entry.version, subject: entry.subject,
        step: 'validation', errors: entry.errors, payload: entry.payload, fetchedAt: entry.fetchedAt,
      }),
  };
}
