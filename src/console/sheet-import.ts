import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IResolvers } from '@graphql-tools/utils';
import { changeDraft, importCatalog, type ChangeActor } from '../catalog/index.js';
import type { HubContext } from '../server/context.js';
import { badUserInput, HubError } from '../server/errors.js';

const ACTION = 'importCatalogSheet';
/** Largest sheet accepted, decoded; the request body limit (`HUITONG_MAX_BODY_BYTES`) comes first. */
const MAX_SHEET_BYTES = 5 * 1024 * 1024;

interface Args {
  sheet: string;
  fileName: string;
  dryRun: boolean;
  reason: string;
}

/**
 * The console's spreadsheet import, through the API: the same `importCatalog` as the command line,
 * so a sheet is checked by the same declaration schema and applied all or nothing. Every attempt is
 * entered in the audit trail before the answer: a stored import by the catalogue's own audited
 * change, a dry run, a refused sheet or an unchanged one by an entry written here, and a caller
 * without the right as `denied:FORBIDDEN`.
 */
export const sheetImportResolvers: IResolvers<unknown, HubContext> = {
  Mutation: {
    importCatalogSheet: async (_root, args: Args, ctx) => {
      const who = ctx.access.principal;
      if (!who) throw new HubError('UNAUTHENTICATED', 'A signed token is needed.');
      const actor: ChangeActor = { department: who.department, system: who.system, roles: who.roles };
      const bytes = Buffer.from(args.sheet ?? '', 'base64');
      const recorded = { fileName: args.fileName, dryRun: args.dryRun, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
      const record = (outcome: string, detail: unknown) =>
        ctx.hub.audit.log.record(changeDraft(actor, { action: ACTION, arguments: recorded, reason: args.reason, detail }, outcome));

      const operator = ctx.hub.config.operatorDepartment;
      if (!who.roles.includes('catalog-admin') || who.department !== operator) {
        const err = new HubError('FORBIDDEN', `Only the hub operator's (${operator}) catalogue administrators import catalogue sheets.`, { reason: 'operator-only' });
        await record('denied:FORBIDDEN', { code: 'FORBIDDEN', reason: 'operator-only' });
        throw err;
      }
      const problem = !args.reason?.trim()
        ? badUserInput('reason', 'say why the catalogue changes')
        : !/^[^/\\\0]{1,200}\.(xlsx|csv)$/i.test(args.fileName)
          ? badUserInput('fileName', 'a file name ending in .xlsx or .csv')
          : bytes.length === 0 || bytes.length > MAX_SHEET_BYTES
            ? badUserInput('sheet', `the file's bytes in base64, at most ${MAX_SHEET_BYTES} bytes`)
            : null;
      if (problem) {
        await record('failed:BAD_USER_INPUT', { code: 'BAD_USER_INPUT', argument: problem.extensions.argument });
        throw problem;
      }

      const dir = await mkdtemp(path.join(tmpdir(), 'huitong-sheet-'));
      try {
        const file = path.join(dir, path.basename(args.fileName));
        await writeFile(file, bytes);
        const change = {
          actor: `${who.department}/${who.system}`,
          reason: args.reason,
          trail: { log: ctx.hub.audit.log, actor, action: ACTION, arguments: recorded },
        };
        const rows = await importCatalog(ctx.hub.db.pool, file, change, { dryRun: args.dryRun });
        const refused = rows.some((r) => r.change === 'refused');
        const stored = !args.dryRun && !refused && rows.some((r) => r.change === 'registered' || r.change === 'updated' || r.change === 'reinstated');
        // A stored import was entered by the catalogue's audited change; anything else is entered here.
        if (!stored) await record(refused && !args.dryRun ? 'failed:BAD_USER_INPUT' : 'ok', { rows: rows.map(({ row, code, change: c }) => ({ row, code, change: c })) });
        if (stored) await ctx.hub.catalog.reload();
        return { stored, rows };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  },
};
