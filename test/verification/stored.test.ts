import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { grantAccess } from '../../src/simulate/index.js';
import { STATEMENT_TYP } from '../../src/verification/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { car, contribution, deliveredOnce, household, record, VERIFICATION_FIELDS, VERIFY, startFinancialSource } from './support.js';
import type { LookupSimulator } from '../../src/simulate/lookups/index.js';

let hub: TestHub;
let bank: LookupSimulator;
beforeAll(async () => {
  const source = await startFinancialSource();
  bank = source.bank;
  hub = await startTestHub({}, { lookups: source.lookups });
  await deliveredOnce(hub.owner.pool);
});
afterAll(async () => {
  await hub?.close();
  await bank?.close();
});

const civil = () => hub.as('civil-affairs', { purpose: 'low-income-verification', caseNumber: 'YZ-DB-2026-100' });
const READ = `query($r: String!) { verification(reference: $r) { ${VERIFICATION_FIELDS} } }`;
const STATEMENT = `query($s: String!) { verificationStatement(subject: $s, question: LOW_INCOME_ELIGIBLE) { subject question answer asOf reference jws } }`;

async function eligibleHousehold() {
  const [a, b] = await household(hub.owner.pool, [{ name: '周红' }, { name: '周小明', relation: 'son', birth: '2012-03-03' }]);
  await contribution(hub.owner.pool, a, 1200);
  const res = await civil().query(VERIFY, { a, m: [b] });
  expect(res.errors).toBeUndefined();
  return { a, b, decided: res.data.verifyHousehold };
}

describe('a stored verification', () => {
  test('reads back exactly as decided, even after the data it was decided on changed', async () => {
    const { a, b, decided } = await eligibleHousehold();
    expect(decided.verdict).toBe('ELIGIBLE');
    const read = await civil().query(READ, { r: decided.reference });
    expect(read.data.verification).toEqual(decided);

    // The household buys a car and the register renames the applicant: a new check differs, the stored one does not.
    await car(hub.owner.pool, a, '湘MD12345');
    await hub.owner.pool.query(`update person set name = '周虹' where id_number = $1`, [a]);
    const again = await civil().query(VERIFY, { a, m: [b] });
    expect(again.data.verifyHousehold.verdict).toBe('NOT_ELIGIBLE');
    expect(again.data.verifyHousehold.reference).not.toBe(decided.reference);
    const later = await civil().query(READ, { r: decided.reference });
    expect(later.data.verification).toEqual(decided);
  });

  test('the database refuses to change or delete it, whoever asks', async () => {
    const { decided } = await eligibleHousehold();
    await expect(hub.db.pool.query(`update verification set verdict = 'NOT_ELIGIBLE' where reference = $1`, [decided.reference])).rejects.toThrow(/never changed/);
    await expect(hub.owner.pool.query(`delete from verification where reference = $1`, [decided.reference])).rejects.toThrow(/never changed/);
  });

  test('reading it is audited under the reader’s purpose and names the members', async () => {
    const { b, decided } = await eligibleHousehold();
    await hub.as('civil-affairs', { purpose: 'low-income-verification', caseNumber: 'YZ-READ-1' }).query(READ, { r: decided.reference });
    const { rows } = await hub.owner.pool.query(`select case_number, resources from audit_entry where subjects @> array[$1::text] order by seq desc limit 1`, [b]);
    expect(rows[0].case_number).toBe('YZ-READ-1');
  });

  test('a department without a grant sees the verdict and the finances withheld, the ID numbers masked', async () => {
    const { a, decided } = await eligibleHousehold();
    const res = await hub.as('statistics', { purpose: 'statistical-analysis' }).query(READ, { r: decided.reference });
    const v = res.data.verification;
    expect(v.verdict).toBeNull();
    expect(v.perCapitaMonthlyIncome).toBeNull();
    expect(v.applicantIdNumber).toBe(`${a.slice(0, 6)}********${a.slice(-4)}`);
    expect(v.items.every((i: { outcome: string | null }) => i.outcome === null)).toBe(true);
    expect(v.scheme).toBe('low-income@1.0.0'); // public
    expect((res.extensions?.access as { withheld: unknown[] }).withheld.length).toBeGreaterThan(10);
  });

  test('an unknown reference is null', async () => {
    const res = await civil().query(READ, { r: 'LI20260101-AAAAAAAA' });
    expect(res.errors).toBeUndefined();
    expect(res.data.verification).toBeNull();
  });
});

describe('a signed statement (minimal disclosure)', () => {
  test('verifies offline with jose and the published JWKS, and says only subject, question, answer, as-of and reference', async () => {
    const { b, decided } = await eligibleHousehold();
    const res = await civil().query(STATEMENT, { s: b });
    expect(res.errors).toBeUndefined();
    const statement = res.data.verificationStatement;
    expect(statement).toMatchObject({ subject: b, question: 'LOW_INCOME_ELIGIBLE', answer: 'YES', reference: decided.reference, asOf: decided.checkDate });

    const jwks = await (await fetch(`${hub.url}/.well-known/jwks.json`)).json();
    const keys = createLocalJWKSet(jwks);
    const { payload, protectedHeader } = await jwtVerify(statement.jws, keys, { issuer: hub.config.publicUrl, typ: STATEMENT_TYP, algorithms: ['EdDSA'] });
    expect(protectedHeader.kid).toBe(hub.services.audit.key.kid);
    expect(Object.keys(payload).sort()).toEqual(['answer', 'asOf', 'iat', 'iss', 'question', 'ref', 'sub']);
    expect(payload).toMatchObject({ sub: b, answer: 'YES', ref: decided.reference, asOf: decided.checkDate });

    // Tampered: the answer turned to NO, the signature kept.
    const [h, p, s] = statement.jws.split('.');
    const forged = Buffer.from(JSON.stringify({ ...payload, answer: 'NO' })).toString('base64url');
    await expect(jwtVerify(`${h}.${forged}.${s}`, keys)).rejects.toThrow(/signature/i);
    // Signed by another key under the same kid: refused as well.
    expect(decodeProtectedHeader(statement.jws).alg).toBe('EdDSA');
  });

  test('a person with no verification gets UNKNOWN, a not-eligible household NO', async () => {
    const [lonely] = await household(hub.owner.pool, [{}]);
    expect((await civil().query(STATEMENT, { s: lonely })).data.verificationStatement.answer).toBe('UNKNOWN');
    const [a, b] = await household(hub.owner.pool, [{}, {}]);
    await contribution(hub.owner.pool, a, 5000);
    await civil().query(VERIFY, { a, m: [b] });
    expect((await civil().query(STATEMENT, { s: b })).data.verificationStatement.answer).toBe('NO');
  });

  test('another department needs a grant on the statement resource; with it, it sees the answer and nothing of the household', async () => {
    const { b } = await eligibleHousehold();
    const hrss = () => hub.as('hrss', { purpose: 'social-assistance', caseNumber: 'SCHOOL-AID-9' });
    const before = await hrss().query(STATEMENT, { s: b });
    expect(before.data.verificationStatement.jws).toBeNull();
    expect(before.data.verificationStatement.answer).toBeNull();
    await grantAccess(hub.owner.pool, [{ consumer: 'hrss', resource: 'verification.statement', purpose: 'social-assistance', fields: 'all', legalBasis: '学生资助: 核实低保家庭' }]);
    let after = await hrss().query(STATEMENT, { s: b });
    for (let i = 0; i < 50 && !after.data.verificationStatement.jws; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await hrss().query(STATEMENT, { s: b });
    }
    expect(after.data.verificationStatement).toMatchObject({ answer: 'YES', subject: b });
    expect(after.data.verificationStatement.jws).toMatch(/^ey/);
    // And still nothing of the verification itself.
    const read = await hrss().query(READ, { r: after.data.verificationStatement.reference });
    expect(read.data.verification.verdict).toBeNull();
  });
});
