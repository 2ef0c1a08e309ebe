import type { IResolvers } from '@graphql-tools/utils';
import type { HubContext } from '../server/context.js';

/**
 * What the console shows besides the catalogue's and the trail's own fields (a resource's record
 * schema is the catalogue's `recordSchemaDocument`): the chain's last signed checkpoint (reached only through
 * `auditVerification`, whose resolver admits the operator's auditors alone and audits the read).
 */
export const consoleResolvers: IResolvers<unknown, HubContext> = {
  AuditVerification: {
    lastCheckpoint: async (_report: unknown, _args: unknown, ctx) => {
      const { rows } = await ctx.hub.db.pool.query<{ seq: string; hash: string; kid: string; at: Date }>(
        'select seq::int8 as seq, hash, kid, created_at as at from audit_checkpoint order by seq desc limit 1',
      );
      const row = rows[0];
      return row ? { seq: Number(row.seq), hash: row.hash, kid: row.kid, at: row.at.toISOString() } : null;
    },
  },
};
