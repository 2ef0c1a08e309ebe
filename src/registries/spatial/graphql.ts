import type { IResolvers } from '@graphql-tools/utils';
import type { HubContext } from '../../server/context.js';
import { badUserInput } from '../../server/errors.js';
import { divisionLoaders, type Division } from './loaders.js';

const DIVISION_CODE = /^(\d{6}|\d{9}|\d{12})$/;

function checkCode(argument: string, code: string): void {
  if (!DIVISION_CODE.test(code)) throw badUserInput(argument, 'a division code has 6, 9 or 12 digits');
}

export const spatialResolvers: IResolvers<unknown, HubContext> = {
  Query: {
    division: (_root, { code }: { code: string }, ctx) => {
      checkCode('code', code);
      return divisionLoaders(ctx).byCode.load(code);
    },
    divisions: async (_root, { parentCode }: { parentCode?: string }, ctx) => {
      if (parentCode === undefined || parentCode === null) {
        const { rows } = await ctx.hub.db.pool.query(
          `select code from division where level = 'province' and valid_to is null order by code`,
        );
        return Promise.all(rows.map((r) => divisionLoaders(ctx).byCode.load(r.code)));
      }
      checkCode('parentCode', parentCode);
      return divisionLoaders(ctx).children.load(parentCode);
    },
  },
  Division: {
    parent: (d: Division, _args, ctx) => (d.parentCode ? divisionLoaders(ctx).byCode.load(d.parentCode) : null),
    children: (d: Division, _args, ctx) => divisionLoaders(ctx).children.load(d.code),
  },
};
