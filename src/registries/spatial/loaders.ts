import DataLoader from 'dataloader';
import type pg from 'pg';
import type { HubContext } from '../../server/context.js';
import { perRequest } from '../../server/per-request.js';

export interface Division {
  code: string;
  name: string;
  level: string;
  statisticalOnly: boolean;
  validTo: string | null;
  parentCode: string | null;
}

const COLUMNS = `code, name, level, statistical_only as "statisticalOnly", valid_to as "validTo", parent_code as "parentCode"`;

function createDivisionLoaders(pool: pg.Pool) {
  return {
    byCode: new DataLoader<string, Division | null>(async (codes) => {
      const { rows } = await pool.query<Division>(`select ${COLUMNS} from division where code = any($1)`, [codes]);
      const byCode = new Map(rows.map((r) => [r.code, r]));
      return codes.map((c) => byCode.get(c) ?? null);
    }),
    children: new DataLoader<string, Division[]>(async (parents) => {
      const { rows } = await pool.query<Division>(
        `select ${COLUMNS} from division where parent_code = any($1) order by code`,
        [parents],
      );
      return parents.map((p) => rows.filter((r) => r.parentCode === p));
    }),
  };
}

const make = (ctx: HubContext) => createDivisionLoaders(ctx.hub.db.pool);

/** Request-scoped division loaders; any library's `Division` field resolves through `byCode`. */
export const divisionLoaders = (ctx: HubContext) => perRequest(ctx, make);
