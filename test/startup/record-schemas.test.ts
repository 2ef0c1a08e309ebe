import { expect, test } from 'vitest';
import { compileRecordSchema } from '../../src/catalog/declaration.js';

// Record schemas share one Ajv (a fresh one per schema cost ~45 ms each at every start): they must
// still behave as if each had its own.
test('two record schemas with the same $id compile side by side, each validating by its own rules', () => {
  const a = compileRecordSchema({ $id: 'https://huitong.example/records/x', type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] });
  const b = compileRecordSchema({ $id: 'https://huitong.example/records/x', type: 'object', properties: { s: { type: 'string', format: 'date' } }, required: ['s'] });
  expect(a({ n: 1 })).toBe(true);
  expect(a({ s: '2024-01-01' })).toBe(false);
  expect(b({ s: '2024-01-01' })).toBe(true);
  expect(b({ s: '2024-02-30' })).toBe(false);
  expect(b({ n: 1 })).toBe(false);
  // Compiling the first again (an unchanged resource at the next start) still works.
  expect(compileRecordSchema({ $id: 'https://huitong.example/records/x', type: 'object', required: ['n'] })({})).toBe(false);
});

test('a schema that does not compile still throws, and leaves the next one unaffected', () => {
  expect(() => compileRecordSchema({ $id: 'https://huitong.example/records/y', type: 'object', properties: { n: { $ref: '#/$defs/missing' } } })).toThrow();
  expect(compileRecordSchema({ $id: 'https://huitong.example/records/y', type: 'string' })('x')).toBe(true);
});
