import { describe, expect, test } from 'vitest';
import { checkIdNumber, makeIdNumber, parseIdNumber } from '../../../src/registries/population/index.js';

// Codes ever valid, as the division register holds them (431121 and 440524 are historical).
const EVER_VALID = new Set(['431102', '431124', '431129', '431121', '431123', '110105', '440524']);

describe('valid ID numbers of DOMAIN.md §1 pass with their birth date and gender', () => {
  test.each([
    ['431102198503120211', '1985-03-12', 'male'],
    ['43112420010807046X', '2001-08-07', 'female'],
    ['431129199301150134', '1993-01-15', 'male'],
    ['431121197809200059', '1978-09-20', 'male'],
    ['11010519491231002X', '1949-12-31', 'female'],
    ['440524188001010014', '1880-01-01', 'male'],
  ])('%s', (id, birthDate, gender) => {
    expect(checkIdNumber(id, EVER_VALID)).toEqual({ ok: true, parts: { idNumber: id, addressCode: id.slice(0, 6), birthDate, gender } });
  });
});

describe('invalid ID numbers of DOMAIN.md §1 are refused with the reason', () => {
  test.each([
    ['431102198503120212', 'bad checksum'],
    ['431123199902290353', 'impossible birth date'],
    ['431124200113070464', 'impossible birth date'],
    ['431150198805060278', 'unknown division'],
  ])('%s: %s', (id, reason) => {
    expect(checkIdNumber(id, EVER_VALID)).toEqual({ ok: false, reason });
  });
});

test('a lowercase x is accepted and stored as X', () => {
  expect(parseIdNumber('43112420010807046x')).toMatchObject({ ok: true, parts: { idNumber: '43112420010807046X' } });
});

test('a legacy 15-digit number is converted by inserting 19 and appending the check', () => {
  expect(parseIdNumber('431102850312021')).toMatchObject({ ok: true, parts: { idNumber: '431102198503120211' } });
});

test('a stated gender must agree with the sequence digit', () => {
  expect(parseIdNumber('431102198503120211', { gender: 'male' }).ok).toBe(true);
  expect(parseIdNumber('431102198503120211', { gender: 'female' })).toMatchObject({ ok: false });
});

test('a birth date in the future is impossible', () => {
  const id = makeIdNumber('431102', '2099-01-01', 10, 'male');
  expect(parseIdNumber(id)).toEqual({ ok: false, reason: 'impossible birth date' });
});

test('malformed numbers are refused', () => {
  expect(parseIdNumber('4311021985031202').ok).toBe(false);
  expect(parseIdNumber('43110219850312021Y').ok).toBe(false);
});

test('numbers made for synthetic persons pass and carry the gender asked for', () => {
  const female = makeIdNumber('431129', '1990-06-01', 37, 'female');
  expect(checkIdNumber(female, EVER_VALID)).toMatchObject({ ok: true, parts: { gender: 'female', birthDate: '1990-06-01' } });
});
