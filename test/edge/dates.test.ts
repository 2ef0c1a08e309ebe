import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAsOf } from '../../src/server/as-of.js';
import { buildSchema } from '../../src/server/index.js';
import { grantDemoAccess } from '../../src/simulate/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { documentFor, reachableFields, stringLeaves } from './schema-inputs.js';

/**
 * A day that does not exist is refused in every accepted form (date, date-time in UTC, date-time
 * with an offset, with and without seconds and fractions), on every date argument of the queries,
 * root and nested, found by walking the schema (the mutations' dates, inside their own audited
 * trail, are held by test/catalog/authority.test.ts): an argument is a date when its name
 * says so (`asOf`, `…From`, `…To`, `…Until`, `…Date`) or its description gives a date format.
 * (Indicator periods, `from`/`to`, are not days: 2023, 2023-Q2, 2023-06.)
 */
const schema = buildSchema();
const DATE_NAME = /^(asOf|.*(From|To|Until|Date))$/;
const dateLeaves = reachableFields(schema)
  .filter((r) => r.root === 'query')
  .flatMap((r) =>
    r.field.args.flatMap((arg) =>
      stringLeaves(arg)
        .filter((leaf) => DATE_NAME.test(leaf.argument.split('.').at(-1)!) || /YYYY-MM-DD|ISO 8601/.test(arg.description ?? ''))
        .map((leaf) => ({ ...r, arg, leaf })),
    ),
  );

const IMPOSSIBLE = [
  '2023-02-30',
  '2023-02-29',
  '2024-04-31',
  '2023-13-01',
  '2023-00-10',
  '2023-02-30T00:00:00Z',
  '2023-02-30T00:00:00.000Z',
  '2023-02-29T12:00Z',
  '2024-06-31T08:00:00+08:00',
  '2024-02-30T23:59:59-05:00',
  '2024-06-30T24:00:00Z',
  '2024-06-30T12:60:00Z',
  '2024-06-30T12:00:00+25:00',
];

describe('parseAsOf', () => {
  test.each(IMPOSSIBLE)('refuses %s', (value) => {
    expect(() => parseAsOf(value)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', argument: 'asOf' }) }));
  });

  test.each([
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2023-02-28T23:30:00Z', '2023-02-28T23:30:00.000Z'],
    ['2024-06-30T08:00:00+08:00', '2024-06-30T00:00:00.000Z'],
    ['2024-06-30T12:00+08:00', '2024-06-30T04:00:00.000Z'],
  ])('accepts %s', (value, instant) => {
    expect(parseAsOf(value).toISOString()).toBe(instant);
  });
});

describe('impossible days on every date argument of the contract', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    await grantDemoAccess(hub.db.pool);
    await hub.services.catalog.reload();
  });
  afterAll(() => hub?.close());

  test('the walk finds the date arguments', () => {
    const names = dateLeaves.map((l) => `${l.field.name}(${l.leaf.argument})`);
    expect(names).toEqual(expect.arrayContaining(['person(asOf)', 'personsByIdNumbers(asOf)', 'persons(filter.bornFrom)', 'persons(filter.bornTo)', 'legalEntity(asOf)']));
    expect(dateLeaves.some((l) => l.steps.length > 0)).toBe(true);
  });

  test('each is refused with BAD_USER_INPUT naming the argument, in every form', async () => {
    // hrss may select persons by birth date (demo grant), so the filter reaches its date check.
    const caller = hub.as('hrss', { purpose: 'social-assistance', caseNumber: 'EDGE-0002' });
    const missed: string[] = [];
    for (const { leaf, arg, ...r } of dateLeaves) {
      for (const value of IMPOSSIBLE) {
        const { query, variables } = documentFor(r, { [arg.name]: leaf.valueWith(value) });
        const res = await caller.query(query, variables);
        const refused = res.errors?.some((e) => e.extensions?.code === 'BAD_USER_INPUT' && e.extensions.argument === leaf.argument);
        if (!refused) missed.push(`${r.field.name}(${leaf.argument}: ${value}): ${JSON.stringify(res).slice(0, 240)}`);
      }
    }
    expect(missed).toEqual([]);
  });
});
