import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { checkDeclaration, DeclarationError, type DeclarationProblem, type ResourceDeclaration } from './declaration.js';
import { diffDeclarations, type FieldChange } from './diff.js';

/** Channel on which every catalogue change is announced, so that all hub instances reload. */
export const CATALOG_CHANNEL = 'huitong_catalog';

/** A declaration as read from a file, a spreadsheet or a GraphQL input, not yet checked. */
export interface DeclarationInput {
  /** Where it came from, for problem reports: a file path, `row 4`, or `input`. */
  source: string;
  data: unknown;
}

export type Outcome =
  | { source: string; code: string; change: 'registered' | 'updated' | 'reinstated'; version: number; diff: FieldChange[] }
  | { source: string; code: string; change: 'unchanged' | 'retired-kept'; version: number; diff: [] }
  | { source: string; code: string | null; change: 'refused'; problems: DeclarationProblem[] };

/** Who makes a change and why: kept with every version. */
export interface Change {
  actor: string;
  reason: string;
}

/** Reads every `catalog/resources/*.json`; a file must be named after its resource's code. */
export async function readDeclarationFiles(dir: string): Promise<DeclarationInput[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    names.map(async (name) => {
      const source = path.join(dir, name);
      try {
        return { source, data: JSON.parse(await readFile(source, 'utf8')) as unknown };
      } catch (err) {
        return { source, data: { __unreadable: (err as Error).message } };
      }
    }),
  );
}

interface Stored {
  version: number;
  declaration: ResourceDeclaration;
  retired: boolean;
}

/**
 * Checks every declaration and stores those that changed, each as a new version, in one
 * transaction: if any declaration is refused, nothing is stored (unless `dryRun`, which stores
 * nothing anyway and reports what would happen to each). Retired resources stay retired when
 * `reinstate` is false (file syncs); a GraphQL registration reinstates them.
 */
export async function applyDeclarations(
  pool: pg.Pool,
  inputs: DeclarationInput[],
  change: Change,
  options: { dryRun?: boolean; reinstate?: boolean; fileNamesAreCodes?: boolean; only?: 'new' | 'existing'; projectDir?: string } = {},
): Promise<Outcome[]> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const departments = new Set((await client.query<{ code: string }>('select code from department')).rows.map((r) => r.code));
    const { rows } = await client.query<{ code: string; version: number; declaration: ResourceDeclaration; retired: boolean }>(
      'select code, version, declaration, retired_at is not null as retired from catalog_resource for update',
    );
    const stored = new Map<string, Stored>(rows.map((r) => [r.code, r]));
    const seen = new Map<string, string>();
    const outcomes = inputs.map((input): Outcome => {
      const unreadable = (input.data as { __unreadable?: string } | null)?.__unreadable;
      const problems = unreadable ? [{ source: input.source, path: '', message: `not valid JSON: ${unreadable}` }] : checkDeclaration(input.data, input.source, { departments, projectDir: options.projectDir });
      const declaration = input.data as ResourceDeclaration;
      const code = typeof declaration?.code === 'string' ? declaration.code : null;
      if (code && options.fileNamesAreCodes && path.basename(input.source) !== `${code}.json`) {
        problems.push({ source: input.source, path: 'code', message: `the file must be named ${code}.json` });
      }
      if (code && seen.has(code)) problems.push({ source: input.source, path: 'code', message: `${code} is also declared in ${seen.get(code)}` });
      if (code) seen.set(code, input.source);
      const existing = code ? stored.get(code) : undefined;
      if (code && options.only === 'new' && existing) problems.push({ source: input.source, path: 'code', message: `${code} is already registered; update it instead` });
      if (code && options.only === 'existing' && !existing) problems.push({ source: input.source, path: 'code', message: `${code} is not registered` });
      if (problems.length) return { source: input.source, code, change: 'refused', problems };
      if (!existing) return { source: input.source, code: code!, change: 'registered', version: 1, diff: diffDeclarations({}, declaration) };
      const diff = diffDeclarations(existing.declaration, declaration);
      if (existing.retired && !options.reinstate) return { source: input.source, code: code!, change: 'retired-kept', version: existing.version, diff: [] };
      if (existing.retired) return { source: input.source, code: code!, change: 'reinstated', version: existing.version + 1, diff };
      if (!diff.length) return { source: input.source, code: code!, change: 'unchanged', version: existing.version, diff: [] };
      return { source: input.source, code: code!, change: 'updated', version: existing.version + 1, diff };
    });
    const refused = outcomes.flatMap((o) => (o.change === 'refused' ? o.problems : []));
    if (options.dryRun) {
      await client.query('rollback');
      return outcomes;
    }
    if (refused.length) throw new DeclarationError(refused);
    const isChange = (o: Outcome): o is Extract<Outcome, { change: 'registered' | 'updated' | 'reinstated' }> =>
      o.change === 'registered' || o.change === 'updated' || o.change === 'reinstated';
    const changed = outcomes.flatMap((o, i) => (isChange(o) ? [{ o, d: inputs[i].data as ResourceDeclaration }] : []));
    for (const { o, d } of changed) {
      await client.query(
        `insert into catalog_resource (code, version, provider, class, sharing_type, sensitivities, declaration, search_text)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (code) do update set version = excluded.version, provider = excluded.provider, class = excluded.class,
           sharing_type = excluded.sharing_type, sensitivities = excluded.sensitivities, declaration = excluded.declaration,
           search_text = excluded.search_text, retired_at = null, updated_at = now()`,
        [d.code, o.version, d.provider, d.classification.class, d.sharing.type, [...new Set(d.items.map((i) => i.sensitivity))], d, searchText(d)],
      );
      await recordVersion(client, d.code, o.version, o.change, d, o.diff, change);
    }
    if (changed.length) await client.query('select pg_notify($1, $2)', [CATALOG_CHANNEL, 'resources']);
    await client.query('commit');
    return outcomes;
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Takes a resource out of the catalogue: its grants stop working at once; its history stays. */
export async function retireResource(pool: pg.Pool, code: string, change: Change): Promise<{ version: number } | null> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query<{ version: number; declaration: ResourceDeclaration }>(
      `update catalog_resource set version = version + 1, retired_at = now(), updated_at = now()
       where code = $1 and retired_at is null returning version, declaration`,
      [code],
    );
    if (!rows.length) {
      await client.query('rollback');
      return null;
    }
    const diff = [{ path: 'retired', before: false, after: true }];
    await recordVersion(client, code, rows[0].version, 'retired', rows[0].declaration, diff, change);
    await client.query('select pg_notify($1, $2)', [CATALOG_CHANNEL, 'resources']);
    await client.query('commit');
    return { version: rows[0].version };
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

async function recordVersion(
  client: pg.PoolClient,
  code: string,
  version: number,
  kind: 'registered' | 'updated' | 'retired' | 'reinstated',
  declaration: ResourceDeclaration,
  diff: FieldChange[],
  change: Change,
): Promise<void> {
  await client.query(
    `insert into catalog_resource_version (code, version, change, declaration, diff, changed_by, reason)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [code, version, kind, declaration, JSON.stringify(diff), change.actor, change.reason],
  );
}

/** Everything a search may match, in both languages. */
function searchText(d: ResourceDeclaration): string {
  return [d.code, d.name, d.nameEn, d.summary, d.classification.category, ...d.items.flatMap((i) => [i.name, i.title, i.description])]
    .join(' ')
    .toLowerCase();
}

/** Folder of resource declarations, one `<code>.json` each. */
export const RESOURCES_DIR = path.resolve(import.meta.dirname, '../../catalog/resources');

/** Registers or updates every resource declared in `catalog/resources/` (all or nothing). */
export function syncResources(pool: pg.Pool, options: { dir?: string; dryRun?: boolean; projectDir?: string } = {}): Promise<Outcome[]> {
  const dir = options.dir ?? RESOURCES_DIR;
  return readDeclarationFiles(dir).then((inputs) =>
    applyDeclarations(pool, inputs, { actor: 'catalog sync', reason: `declaration files in ${path.relative(process.cwd(), dir) || dir}` }, {
      dryRun: options.dryRun,
      fileNamesAreCodes: true,
      projectDir: options.projectDir,
    }),
  );
}
