import type { IResolvers } from '@graphql-tools/utils';
import type { HubContext } from './context.js';

export const hubResolvers: IResolvers<unknown, HubContext> = {
  Query: {
    hub: (_root, _args, { hub }) => ({ name: 'Huitong (汇通)', version: hub.version, mode: hub.config.mode }),
  },
  Hub: {
    departments: async (_hub, _args, { hub }) =>
      (await hub.db.pool.query('select code, name, name_en as "nameEn" from department order by code')).rows,
    purposes: async (_hub, _args, { hub }) =>
      (await hub.db.pool.query('select code, name, legal_basis as "legalBasis" from purpose order by code')).rows,
  },
};
