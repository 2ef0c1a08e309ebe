import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type pg from 'pg';

/** Folder of catalogue declarations, reviewed like code. */
export const CATALOG_DIR = path.resolve(import.meta.dirname, '../../catalog');

const ajv = new Ajv2020({ allErrors: true });
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
 * `catalog/purposes.json`. Returns how many of each the files declare.
 */
export async function syncRegisters(pool: pg.Pool, dir = CATALOG_DIR): Promise<{ departments: number; purposes: number }> {
  const departments = await readDeclarations<{ code: string; name: string; nameEn: string }>(dir, 'departments.json', validateDepartments);
  const purposes = await readDeclarations<{ code: string; name: string; legalBasis: string }>(dir, 'purposes.json', validatePurposes);
  await pool.query(
    `insert into department (code, name, name_en)
     select * from unnest($1::text[], $2::text[], $3::text[])
     on conflict (code) do update set name = excluded.name, name_en = excluded.name_en`,
    [departments.map((d) => d.code), departments.map((d) => d.name), departments.map((d) => d.nameEn)],
  );
  await pool.query(
    `insert into purpose (code, name, legal_basis)
     select * from unnest($1::text[], $2::text[], $3::text[])
     on conflict (code) do update set name = excluded.name, legal_basis = excluded.legal_basis`,
    [purposes.map((p) => p.code), purposes.map((p) => p.name), purposes.map((p) => p.legalBasis)],
  );
  return { departments: departments.length, purposes: purposes.length };
}
