import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import type pg from 'pg';
import { compileRecordSchema, PROJECT_DIR } from './declaration.js';

export interface RecordValidator {
  code: string;
  /** Catalogue version of the resource whose record schema this is: stored with each record validated. */
  version: number;
  validate: ValidateFunction;
}

const compiled = new Map<string, RecordValidator>();

/**
 * The record schema of a current resource, compiled once per resource version, for connectors
 * to check records against and to keep the version they were validated against. `null` for a
 * resource that is unknown or retired.
 */
export async function recordValidator(pool: pg.Pool, code: string, projectDir = PROJECT_DIR): Promise<RecordValidator | null> {
  const { rows } = await pool.query<{ version: number; schema: string }>(
    `select version, declaration ->> 'recordSchema' as schema from catalog_resource where code = $1 and retired_at is null`,
    [code],
  );
  if (!rows.length) return null;
  const key = `${code}@${rows[0].version}`;
  let validator = compiled.get(key);
  if (!validator) {
    const schema = JSON.parse(await readFile(path.join(projectDir, rows[0].schema), 'utf8'));
    validator = { code, version: rows[0].version, validate: compileRecordSchema(schema) };
    compiled.set(key, validator);
  }
  return validator;
}
