import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DeclarationError, formatProblem, recordValidator, syncResources, type ResourceDeclaration } from '../../src/catalog/index.js';
import { createAudit, type Audit } from '../../src/audit/index.js';
import type { ChangeActor } from '../../src/catalog/index.js';
import { createTestDatabase } from '../support/hub.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let audit: Audit;
let trail: { log: Audit['log']; actor: ChangeActor };
let project: string;
const division: ResourceDeclaration = JSON.parse(await readFile(new URL('../../catalog/resources/spatial.division.json', import.meta.url), 'utf8'));

const grid = (over: Record<string, unknown> = {}) => ({
  ...division,
  code: 'test.grid',
  name: '网格',
  nameEn: 'Grids',
  summary: '城市管理网格 city management grids',
  provider: 'natural-resources',
  graphqlType: 'Grid',
  related: [],
  recordSchema: 'schemas/records/test.grid.json',
  ...over,
});

async function declare(files: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(path.join(project, 'resources-'));
  for (const [name, body] of Object.entries(files)) await writeFile(path.join(dir, name), typeof body === 'string' ? body : JSON.stringify(body));
  return dir;
}

const stored = async () =>
  (await database.db.pool.query<{ code: string; version: number }>('select code, version from catalog_resource order by code')).rows;

beforeAll(async () => {
  database = await createTestDatabase();
  project = await mkdtemp(path.join(tmpdir(), 'huitong-catalog-'));
  audit = await createAudit(project, database.db, { checkpointFilePath: path.join(project, 'audit-checkpoints.jsonl') });
  trail = { log: audit.log, actor: { department: 'data-bureau', system: 'huitong-catalog-sync', roles: ['platform-admin'] } };
  await mkdir(path.join(project, 'schemas/records'), { recursive: true });
  await writeFile(path.join(project, 'schemas/records/test.grid.json'), JSON.stringify({ type: 'object', properties: { code: { type: 'string' } } }));
  await writeFile(path.join(project, 'schemas/records/spatial.division.json'), await readFile(new URL('../../schemas/records/spatial.division.json', import.meta.url)));
  await writeFile(path.join(project, 'schemas/records/broken.json'), JSON.stringify({ type: 'objekt' }));
});
afterAll(async () => {
  await audit?.log.close();
  await database?.drop();
  await rm(project, { recursive: true, force: true });
});

test('the declarations in catalog/resources are registered in the template, each as version 1', async () => {
  expect(await stored()).toContainEqual({ code: 'spatial.division', version: 1 });
});

test('a bad declaration is refused with every problem named by file and path, and nothing is stored', async () => {
  const dir = await declare({
    'test.grid.json': grid({
      provider: 'ministry-of-magic',
      items: [
        { ...division.items[0], sensitivity: 'secret' },
        { ...division.items[1], mask: 'id-number', type: 'int' },
      ],
      sharing: { type: 'conditional', methods: ['query'] },
      colour: 'blue',
    }),
    'test.address.json': grid({ code: 'test.address', recordSchema: 'schemas/records/broken.json' }),
    'test.street.json': '{ not json',
    'test.lake.json': grid({ code: 'test.pond' }),
    'test.ok.json': grid({ code: 'test.ok' }),
  });
  const before = await stored();
  const error = await syncResources(database.db.pool, trail, { dir, projectDir: project }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DeclarationError);
  const problems = (error as DeclarationError).problems.map(formatProblem).map((p) => p.replace(`${dir}/`, ''));
  expect(problems).toEqual(
    expect.arrayContaining([
      'test.grid.json: /: unknown key "colour"',
      'test.grid.json: items[0].sensitivity: "secret" is not one of: public, internal, personal, sensitive',
      expect.stringMatching(/^test\.grid\.json: sharing: must have required property 'conditions'/),
      expect.stringMatching(/^test\.address\.json: recordSchema: schemas\/records\/broken\.json does not compile/),
      expect.stringMatching(/^test\.street\.json: \/: not valid JSON/),
      'test.lake.json: code: the file must be named test.pond.json',
    ]),
  );
  expect(await stored()).toEqual(before);
});

test('semantic problems are listed together once the shape is right', async () => {
  const dir = await declare({
    'test.grid.json': grid({ provider: 'ministry-of-magic', items: [division.items[0], { ...division.items[1], mask: 'mobile', type: 'int' }, division.items[0]] }),
  });
  const error = (await syncResources(database.db.pool, trail, { dir, projectDir: project }).catch((e: unknown) => e)) as DeclarationError;
  expect(error.problems.map(({ path: p, message }) => `${p}: ${message}`)).toEqual([
    'provider: "ministry-of-magic" is not a registered department',
    'items[1].mask: "mobile" masks strings only, the item is int',
    'items[2].name: "code" is declared twice',
  ]);
});

test('a changed file makes a new version with a field-level diff; an unchanged one makes none', async () => {
  const dir = await declare({ 'test.grid.json': grid() });
  expect((await syncResources(database.db.pool, trail, { dir, projectDir: project })).map((o) => o.change)).toEqual(['registered']);
  expect((await syncResources(database.db.pool, trail, { dir, projectDir: project })).map((o) => o.change)).toEqual(['unchanged']);
  const items = [...division.items];
  items[1] = { ...items[1], sensitivity: 'internal' };
  await writeFile(path.join(dir, 'test.grid.json'), JSON.stringify(grid({ summary: '网格 grids', items })));
  const [outcome] = await syncResources(database.db.pool, trail, { dir, projectDir: project });
  expect(outcome).toMatchObject({ change: 'updated', version: 2 });
  const { rows } = await database.db.pool.query(
    `select version, change, changed_by, diff from catalog_resource_version where code = 'test.grid' order by version`,
  );
  expect(rows.map((r) => [r.version, r.change, r.changed_by])).toEqual([
    [1, 'registered', 'catalog sync'],
    [2, 'updated', 'catalog sync'],
  ]);
  expect(rows[1].diff).toEqual([
    { path: 'summary', before: '城市管理网格 city management grids', after: '网格 grids' },
    { path: 'items[name].sensitivity', before: 'public', after: 'internal' },
  ]);
});

test('a dry run reports what would happen and stores nothing', async () => {
  const dir = await declare({ 'test.pool.json': grid({ code: 'test.pool' }), 'test.bad.json': grid({ code: 'test.bad', provider: 'nobody' }) });
  const outcomes = await syncResources(database.db.pool, trail, { dir, projectDir: project, dryRun: true });
  expect(outcomes.map((o) => [o.code, o.change])).toEqual([
    ['test.bad', 'refused'],
    ['test.pool', 'registered'],
  ]);
  expect((await stored()).map((r) => r.code)).not.toContain('test.pool');
});

test('a connector gets the record schema of a resource with the version it belongs to', async () => {
  const validator = await recordValidator(database.db.pool, 'spatial.division');
  expect(validator?.version).toBe(1);
  const record = { code: '431102', name: '零陵区', level: 'county', parentCode: '431100', sourceKey: '431102', changedAt: '2026-11-24T08:00:00Z' };
  expect(validator?.validate(record)).toBe(true);
  expect(validator?.validate({ ...record, code: '4311' })).toBe(false);
  expect(await recordValidator(database.db.pool, 'no.such')).toBeNull();
});
