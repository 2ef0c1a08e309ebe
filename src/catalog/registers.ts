import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type pg from 'pg';
import { auditedChange, type ChangeActor, type ChangeTrail } from './changes.js';

/** Folder of catalogue declarations, reviewed like code. */
export const CATALOG_DIR = path.resolve(import.meta.dirname, '../../catalog');

// `validateSchema: false`: the two schemas below are ours and fixed; validating them at every start
// would compile the 2020-12 meta-schema first (~30–50 ms of every start).
const ajv = new Ajv2020({ allErrors: true, validateSchema: false });
const slug = (max: number) => ({ type: 'string', pattern: `^[a-z][a-z0-9-]{1,${max}}$` });
const validateDepartments = ajv.compile({
  type: 'array',
  items: {
    type: 'object',
    required: ['code', 'name', 'nameEn'],
    additionalProperties: false,
    properties: { code: slug(40), name: { type: 'string', minLength: 1 }, nameEn: { type: 'string', minLength: 1 } },
  },
});
const validatePurposes = ajv.compile({
  type: 'array',
  items: {
    type: 'object',
    required: ['code', 'name', 'legalBasis'],
    additionalProperties: false,
    properties: { code: slug(60), name: { type: 'string', minLength: 1 }, legalBasis: { type: 'string', minLength: 1 } },
  },
});

export class CatalogFileError extends Error {
  constructor(readonly file: string, readonly problems: string[]) {
    super(`${file}:\n- ${problems.join('\n- ')}`);
  }
}

async function readDeclarations<T>(dir: string, name: string, validate: typeof validateDepartments): Promise<T[]> {
  const file = path.join(dir, name);
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new CatalogFileError(file, [(err as Error).message]);
  }
  if (!validate(data)) {
    throw new CatalogFileError(file, (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message}`));
  }
  return data as T[];
}

/**
 * Upserts the registered departments and purposes from `catalog/departments.json` and
 * `catalog/purposes.json`, in one transaction committed only with its audit entry (none when
 * nothing changed); `dryRun` stores nothing. Returns how many of each the files declare and which
 * changed.
 */
export async function syncRegisters(
  pool: pg.Pool,
  trail: { log: ChangeTrail; actor: ChangeActor } | null,
  options: { dir?: string; dryRun?: boolean } = {},
): Promise<{ departments: number; purposes: number; changed: string[] }> {
  const dir = options.dir ?? CATALOG_DIR;
  const departments = await readDeclarations<{ code: string; name: string; nameEn: string }>(dir, 'departments.json', validateDepartments);
  const purposes = await readDeclarations<{ code: string; name: string; legalBasis: string }>(dir, 'purposes.json', validatePurposes);
  const upsert = async (client: pg.PoolClient) => {
    const d = await client.query<{ code: string }>(
      `insert into department (code, name, name_en)
       select * from unnest($1::text[], $2::text[], $3::text[])
       on conflict (code) do update set name = excluded.name, name_en = excluded.name_en
         where (department.name, department.name_en) is distinct from (excluded.name, excluded.name_en)
       returning code`,
      [departments.map((x) => x.code), departments.map((x) => x.name), departments.map((x) => x.nameEn)],
    );
    const p = await client.query<{ code: string }>(
      `insert into purpose (code, name, legal_basis)
       select * from unnest($1::text[], $2::text[], $3::text[])
       on conflict (code) do update set name = excluded.name, legal_basis = excluded.legal_basis
         where (purpose.name, purpose.legal_basis) is distinct from (excluded.name, excluded.legal_basis)
       returning code`,
      [purposes.map((x) => x.code), purposes.map((x) => x.name), purposes.map((x) => x.legalBasis)],
    );
    return [...d.rows.map((r) => `department ${r.code}`), ...p.rows.map((r) => `purpose ${r.code}`)];
  };
  let changed: string[];
  if (options.dryRun || !trail) {
    if (!options.dryRun) throw new Error('a catalogue change needs the audit trail to record it');
    const client = await pool.connect();
    try {
      await client.query('begin');
      changed = await upsert(client);
    } finally {
      await client.query('rollback').catch(() => {});
      client.release();
    }
  } else {
    changed = await auditedChange(pool, trail.log, trail.actor, { action: 'catalog registers sync', arguments: { dir: path.relative(process.cwd(), dir) || dir }, reason: 'departments.json and purposes.json' }, async (client) => {
      const rows = await upsert(client);
      return { result: rows, detail: { changed: rows }, unchanged: rows.length === 0 };
    });
  }
  return { departments: departments.length, purposes: purposes.length, changed };
}
