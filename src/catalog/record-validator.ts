import type { ValidateFunction } from 'ajv';
import type pg from 'pg';
import { compileRecordSchema, PROJECT_DIR, readRecordSchema, type ResourceDeclaration } from './declaration.js';

export interface RecordValidator {
  code: string;
  /** Catalogue version of the resource whose record schema this is: stored with each record validated. */
  version: number;
  validate: ValidateFunction;
  /** The JSON Schema compiled (from its file, inline, or derived from the items). */
  schema: unknown;
}

const compiled = new Map<string, RecordValidator>();

/**
 * The record schema of a current resource, compiled once per resource version, for connectors
 * to check records against and to keep the version they were validated against. `null` for a
 * resource that is unknown or retired. The schema comes with the stored declaration (inline or
 * derived from its items), so a resource registered through the API needs no file; a declaration
 * naming a file under `schemas/records/` reads it.
 */
export async function recordValidator(pool: pg.Pool, code: string, projectDir = PROJECT_DIR): Promise<RecordValidator | null> {
  const { rows } = await pool.query<{ version: number; declaration: ResourceDeclaration }>(
    `select version, declaration from catalog_resource where code = $1 and retired_at is null`,
    [code],
  );
  if (!rows.length) return null;
  const key = `${code}@${rows[0].version}`;
  let validator = compiled.get(key);
  if (!validator) {
    const read = readRecordSchema(rows[0].declaration, projectDir);
    if ('problem' in read) throw new Error(`${code}: record schema: ${read.problem}`);
    validator = { code, version: rows[0].version, validate: compileRecordSchema(read.schema), schema: read.schema };
    compiled.set(key, validator);
  }
  return validator;
}
