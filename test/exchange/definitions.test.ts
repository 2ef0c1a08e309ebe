import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { CONNECTORS_DIR, DefinitionError, loadDefinitions } from '../../src/exchange/index.js';
import { mapRecord } from '../../src/exchange/mapping.js';
import { startTestHub } from '../support/hub.js';

const CLI = path.resolve(import.meta.dirname, '../../bin/huitong.js');
const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A copy of connectors/ with some definitions broken. */
function brokenCopy(edits: Record<string, (d: Record<string, unknown>) => unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'huitong-connectors-'));
  dirs.push(dir);
  cpSync(CONNECTORS_DIR, dir, { recursive: true });
  for (const [id, edit] of Object.entries(edits)) {
    const file = path.join(dir, id, 'connector.json');
    const d = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify(edit(d)));
  }
  return dir;
}

describe('connector definitions', () => {
  test('the shipped definitions are valid: at least 12 systems and every syncing kind', () => {
    const defs = loadDefinitions();
    expect(defs.length).toBeGreaterThanOrEqual(12);
    // Every kind, `lookup` (financial institutions, whose data stays at the source) included.
    expect(new Set(defs.map((d) => d.kind))).toEqual(new Set(['rest', 'database', 'file', 'lookup']));
    expect(new Set(defs.map((d) => d.department)).size).toBeGreaterThanOrEqual(9);
  });

  test('a bad definition is refused with every problem, by file and path', () => {
    const dir = brokenCopy({
      'tax-income': (d) => ({ ...d, kind: 'ftp', schedule: 'every night' }),
      'hrss-pension': (d) => ({ ...d, department: 'tax-bureau', schedule: '61 * * * *', mapping: { ...(d.mapping as object), salary: 'gz' } }),
      'vehicle-administration': (d) => ({ ...d, resource: 'vehicles.car', source: { url: '${X}', paging: { page: 1 }, records: 'items' } }),
    });
    let error: DefinitionError | null = null;
    try {
      loadDefinitions(dir);
    } catch (err) {
      error = err as DefinitionError;
    }
    expect(error).toBeInstanceOf(DefinitionError);
    const problems = error!.problems.map((p) => `${path.basename(path.dirname(p.file))}: ${p.path}: ${p.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^tax-income: kind: "ftp" is not one of: rest, database, file, lookup$/),
        expect.stringMatching(/^hrss-pension: department: "tax-bureau" is not a registered department$/),
        expect.stringMatching(/^hrss-pension: schedule: "61 \* \* \* \*" is not a cron expression/),
        expect.stringMatching(/^hrss-pension: mapping\.salary: "salary" is not a field of hrss\.pension's record schema$/),
        expect.stringMatching(/^vehicle-administration: source\.paging/),
      ]),
    );
  });

  test('a hub does not start on a bad definition; `huitong connectors check` lists the problems and exits 1', async () => {
    const dir = brokenCopy({ 'tax-income': (d) => ({ ...d, key: [] }) });
    const check = await run(process.execPath, [CLI, 'connectors', 'check'], { env: { ...process.env, LOG_LEVEL: 'silent' } }).then((r) => ({ code: 0, ...r }));
    expect(check.stdout).toMatch(/16 connector definitions are valid/);
    expect(() => loadDefinitions(dir)).toThrow(/tax-income\/connector\.json: key: must NOT have fewer than 1 items/);
    await expect(startTestHub({ HUITONG_CONNECTORS_DIR: dir })).rejects.toThrow(/Connector definitions refused:\n- .*tax-income\/connector\.json: key/);
  });

  test('mapping converts, looks codes up and collects every error of a record', () => {
    expect(mapRecord({ a: ' 12.5 ', b: '20240131', c: '2' }, { n: { from: 'a', as: 'number' }, d: { from: 'b', as: 'date' }, g: { from: 'c', values: { '1': 'male', '2': 'female' } } })).toEqual({
      ok: true,
      record: { n: 12.5, d: '2024-01-31', g: 'female' },
    });
    expect(mapRecord({ a: 'x', c: '9' }, { n: { from: 'a', as: 'number' }, g: { from: 'c', values: { '1': 'male' } } })).toEqual({
      ok: false,
      errors: ['n: "x" is not a number', 'g: code "9" is not one of 1'],
    });
  });
});
