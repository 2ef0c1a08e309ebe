import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildSchema } from '../../src/server/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { documentFor, reachableFields, stringLeaves } from './schema-inputs.js';

/**
 * Input is refused at the edge. Every string argument of the served schema, found by walking it
 * (root fields, nested fields, input objects and lists), is sent a value carrying a control
 * character, and must be refused with `BAD_USER_INPUT` naming the argument, before anything runs.
 */
const schema = buildSchema();
const reached = reachableFields(schema);
const leaves = reached.flatMap((r) => r.field.args.flatMap((arg) => stringLeaves(arg).map((leaf) => ({ ...r, arg, leaf }))));

const CALLER = { roles: ['consumer', 'provider', 'catalog-admin', 'auditor', 'platform-admin'] as never[], purpose: 'low-income-verification', caseNumber: 'EDGE-0001' };

describe('control characters are refused on every string argument', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(() => hub?.close());

  test('the walk finds the contract\'s string arguments, nested ones and input fields included', () => {
    const names = leaves.map((l) => `${l.type.name}.${l.field.name}(${l.leaf.argument})`);
    expect(names).toEqual(expect.arrayContaining(['Query.persons(filter.name)', 'Query.person(idNumber)', 'Query.personsByIdNumbers(idNumbers[0])']));
    expect(names.some((n) => n.startsWith('Mutation.'))).toBe(true);
    expect(names.some((n) => !n.startsWith('Query.') && !n.startsWith('Mutation.'))).toBe(true);
    expect(leaves.length).toBeGreaterThan(60);
  });

  test('a NUL byte in a person filter never reaches PostgreSQL', async () => {
    const res = await hub.as('civil-affairs', CALLER).query('query($n: String) { persons(filter: { name: $n }) { totalCount } }', { n: '张\u0000三' });
    expect(res.data ?? null).toBeNull();
    expect(res.errors).toHaveLength(1);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.name', reason: 'control-character', character: 'U+0000' });
    expect(JSON.stringify(res)).not.toMatch(/invalid byte sequence|stack|at .*\.ts/);
  });

  test('the same value as a literal in the document is refused too', async () => {
    const res = await hub.as('civil-affairs', CALLER).query('{ persons(filter: { name: "张\\u0000三" }) { totalCount } }');
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.name', reason: 'control-character' });
  });

  test('ordinary text passes: Chinese, emoji, tabs and line breaks in a reason', async () => {
    const res = await hub.as('civil-affairs', CALLER).query('query($n: String) { persons(filter: { name: $n }, first: 1) { totalCount } }', { n: '王\t小明😀\n' });
    expect(res.errors?.find((e) => e.extensions?.reason === 'control-character')).toBeUndefined();
  });

  test('every string argument of the schema refuses a control character, naming it', async () => {
    const missed: string[] = [];
    const controls = ['\u0000', '\u001b', '\u007f', '\ud800'];
    for (const [i, { leaf, arg, ...r }] of leaves.entries()) {
      const text = `ab${controls[i % controls.length]}c`;
      const { query, variables } = documentFor(r, { [arg.name]: leaf.valueWith(text) });
      const res = await hub.as('data-bureau', CALLER).query(query, variables);
      const ext = res.errors?.[0]?.extensions;
      const ok = res.errors?.length === 1 && ext?.code === 'BAD_USER_INPUT' && ext.reason === 'control-character' && ext.argument === leaf.argument && res.data == null;
      if (!ok) missed.push(`${r.type.name}.${r.field.name}(${leaf.argument}): ${JSON.stringify(res).slice(0, 300)}`);
    }
    expect(missed).toEqual([]);
  });
});
