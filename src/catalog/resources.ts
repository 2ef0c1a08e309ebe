import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { checkDeclaration, DeclarationError, type DeclarationProblem, type ResourceDeclaration } from './declaration.js';
import { auditedChange, type ChangeActor, type ChangeTrail } from './changes.js';
import { diffDeclarations, type FieldChange } from './diff.js';
import { endResourceAccess, reexamineGrants } from './reexamine.js';

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
  /** The declaration disagrees with the stored resource and was not applied (a start; `catalog sync` applies it). */
  | { source: string; code: string; change: 'differs'; version: number; diff: FieldChange[] }
  | { source: string; code: string | null; change: 'refused'; problems: DeclarationProblem[] };

/** Who makes a change and why: kept with every version; `trail` enters it in the audit trail. */
export interface Change {
  actor: string;
  reason: string;
  /** The audit trail the change is entered in; a change without one is refused (dry runs need none). */
  trail?: { log: ChangeTrail; actor: ChangeActor; action: string; arguments: unknown };
}

export interface ApplyOptions {
  dryRun?: boolean;
  /** Reinstate retired resources (a GraphQL update); files leave them retired. (Default: false) */
  reinstate?: boolean;
  fileNamesAreCodes?: boolean;
  only?: 'new' | 'existing';
  projectDir?: string;
  /** Store changes to registered resources; `false` (a start) registers new ones only and reports the rest as `differs`. (Default: true) */
  applyChanges?: boolean;
  /** The hub's operator department: a resource it provides may be handed to another provider. */
  operator?: string;
  /** Codes whose change of provider the old provider agreed to (an approved proposal of its own). */
  providerConsent?: readonly string[];
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
 * nothing anyway and reports what would happen to each). A change is stored only with its audit
 * entry (`change.trail`), committed before the transaction is.
 */
export async function applyDeclarations(pool: pg.Pool, inputs: DeclarationInput[], change: Change, options: ApplyOptions = {}): Promise<Outcome[]> {
  if (options.dryRun) {
    const client = await pool.connect();
    try {
      await client.query('begin');
      return await applyDeclarationsIn(client, inputs, change, options);
    } finally {
      await client.query('rollback').catch(() => {});
      client.release();
    }
  }
  const { trail } = change;
  if (!trail) throw new Error('a catalogue change needs the audit trail to record it');
  return auditedChange(pool, trail.log, trail.actor, { action: trail.action, arguments: trail.arguments, reason: change.reason }, async (client) => {
    const outcomes = await applyDeclarationsIn(client, inputs, change, options);
    const stored = outcomes.some((o) => o.change === 'registered' || o.change === 'updated' || o.change === 'reinstated');
    return { result: outcomes, detail: { outcomes: outcomes.filter((o) => o.change !== 'unchanged').map(summary) }, unchanged: !stored };
  });
}

/** What the audit entry keeps of an outcome. */
const summary = (o: Outcome) =>
  o.change === 'refused' ? { code: o.code, change: o.change, problems: o.problems.map((p) => `${p.path}: ${p.message}`) } : { code: o.code, change: o.change, version: o.version, diff: o.diff };

/** As `applyDeclarations`, inside the caller's transaction (which it may roll back). */
export async function applyDeclarationsIn(client: pg.PoolClient, inputs: DeclarationInput[], change: Change, options: ApplyOptions = {}): Promise<Outcome[]> {
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
    const oldProvider = existing?.declaration.provider;
    if (code && oldProvider && declaration.provider !== oldProvider && oldProvider !== options.operator && !options.providerConsent?.includes(code)) {
      problems.push({ source: input.source, path: 'provider', message: `a change of provider needs ${oldProvider}'s consent: ${oldProvider} proposes it (proposeResourceChange)` });
    }
    if (problems.length) return { source: input.source, code, change: 'refused', problems };
    if (!existing) return { source: input.source, code: code!, change: 'registered', version: 1, diff: diffDeclarations({}, declaration) };
    const diff = diffDeclarations(existing.declaration, declaration);
    if (existing.retired && !options.reinstate) return { source: input.source, code: code!, change: 'retired-kept', version: existing.version, diff: [] };
    const changed = existing.retired ? 'reinstated' : diff.length ? 'updated' : 'unchanged';
    if (changed === 'unchanged') return { source: input.source, code: code!, change: 'unchanged', version: existing.version, diff: [] };
    const fullDiff = existing.retired ? [{ path: 'retired', before: true, after: false }, ...diff] : diff;
    if (options.applyChanges === false) return { source: input.source, code: code!, change: 'differs', version: existing.version, diff: fullDiff };
    return { source: input.source, code: code!, change: changed, version: existing.version + 1, diff: fullDiff };
  });
  const refused = outcomes.flatMap((o) => (o.change === 'refused' ? o.problems : []));
  if (options.dryRun) return outcomes;
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
    const before = stored.get(d.code);
    if (before) await reexamineGrants(client, before.declaration, d, change.actor);
  }
  if (changed.length) await client.query('select pg_notify($1, $2)', [CATALOG_CHANNEL, 'resources']);
  return outcomes;
}

/**
 * Takes a resource out of the catalogue, inside the caller's transaction: its live grants end
 * (revoked, not merely unused, so reinstating the resource revives none) and its undecided
 * requests are rejected; its history stays.
 */
export async function retireResourceIn(client: pg.PoolClient, code: string, change: Change): Promise<{ version: number; grantsEnded: string[]; requestsRejected: string[] } | null> {
  const { rows } = await client.query<{ version: number; declaration: ResourceDeclaration }>(
    `update catalog_resource set version = version + 1, retired_at = now(), updated_at = now()
     where code = $1 and retired_at is null returning version, declaration`,
    [code],
  );
  if (!rows.length) return null;
  const diff = [{ path: 'retired', before: false, after: true }];
  await recordVersion(client, code, rows[0].version, 'retired', rows[0].declaration, diff, change);
  const ended = await endResourceAccess(client, code, change.actor, `the resource was retired: ${change.reason}`);
  await client.query('select pg_notify($1, $2)', [CATALOG_CHANNEL, 'resources']);
  return { version: rows[0].version, ...ended };
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

/**
 * Registers or updates every resource declared in `catalog/resources/` (all or nothing), entered
 * in the audit trail as `catalog sync`. At a start (`applyChanges: false`) only new resources are
 * registered: a file that disagrees with the stored resource is reported (`differs`), never applied
 * over a change made through the API.
 */
export function syncResources(
  pool: pg.Pool,
  trail: { log: ChangeTrail; actor: ChangeActor } | null,
  options: { dir?: string; dryRun?: boolean; projectDir?: string; applyChanges?: boolean; operator?: string; action?: string } = {},
): Promise<Outcome[]> {
  const dir = options.dir ?? RESOURCES_DIR;
  const where = path.relative(process.cwd(), dir) || dir;
  return readDeclarationFiles(dir).then((inputs) =>
    applyDeclarations(
      pool,
      inputs,
      {
        actor: 'catalog sync',
        reason: `declaration files in ${where}`,
        trail: trail ? { ...trail, action: options.action ?? 'catalog sync', arguments: { dir: where, files: inputs.map((i) => path.basename(i.source)) } } : undefined,
      },
      { dryRun: options.dryRun, fileNamesAreCodes: true, projectDir: options.projectDir, applyChanges: options.applyChanges, operator: options.operator },
    ),
  );
}
