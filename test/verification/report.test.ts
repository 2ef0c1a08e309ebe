import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createBatch, prepareJobQueue } from '../../src/verification/batch.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { car, contribution, deliveredOnce, household, VERIFY, startFinancialSource } from './support.js';
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

const civil = () => hub.as('civil-affairs', { purpose: 'low-income-verification', caseNumber: 'YZ-PRINT-1' });
const get = async (path: string, headers: Record<string, string>) => fetch(`${hub.url}${path}`, { headers });

async function decided(withCar = false) {
  const [a, b] = await household(hub.owner.pool, [{ name: '蒋春生' }, { name: '唐桂花' }]);
  await contribution(hub.owner.pool, a, 900);
  if (withCar) await car(hub.owner.pool, b, '湘M66666');
  const res = await civil().query(VERIFY, { a, m: [b] });
  return { a, b, v: res.data.verifyHousehold };
}

const pdfText = async (bytes: ArrayBuffer) => (await new PDFParse({ data: new Uint8Array(bytes) }).getText()).text;

describe('the printable report', () => {
  test('the PDF carries the verdict and every item in Chinese, read back from the file', async () => {
    const { v } = await decided(true);
    const res = await get(`/verification/${v.reference}.pdf`, await civil().headers());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const text = await pdfText(await res.arrayBuffer());
    expect(text).toContain('低收入家庭经济状况核对报告');
    expect(text).toContain('核对结论：不符合 (NOT_ELIGIBLE)');
    expect(text).toContain(v.reference);
    for (const title of ['户籍家庭成员', '机动车', '养老金、失业金', '社保缴费基数', '不动产', '股权及经营主体', '个人所得税收入', '住房公积金', '婚姻登记及已享救助', '残疾人证', '大额医疗自付费用', '存款、理财及证券']) {
      expect(text).toContain(title);
    }
    expect(text).toContain('不通过 (FAIL)');
    expect(text).toContain('湘M66666');
    expect(text).toContain('蒋春生');
  }, 60_000);

  test('the HTML report says the same, and both are audited under the case', async () => {
    const { b, v } = await decided();
    const res = await get(`/verification/${v.reference}.html`, await civil().headers());
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('核对结论：符合 (ELIGIBLE)');
    expect(html).toContain('存款、理财及证券');
    const { rows } = await hub.owner.pool.query(
      `select operation_name, case_number, outcome from audit_entry where subjects @> array[$1::text] and operation_name = 'verificationReport'`,
      [b],
    );
    expect(rows).toEqual([{ operation_name: 'verificationReport', case_number: 'YZ-PRINT-1', outcome: 'ok' }]);
  });

  test('without a purpose it is refused; a department without a grant gets the report with values withheld', async () => {
    const { a, v } = await decided();
    const bare = await get(`/verification/${v.reference}.html`, await hub.as('civil-affairs').headers());
    expect(bare.status).toBe(400);
    expect((await bare.json()).errors[0].extensions.code).toBe('PURPOSE_REQUIRED');
    const stats = await get(`/verification/${v.reference}.html`, await hub.as('statistics', { purpose: 'statistical-analysis' }).headers());
    const html = await stats.text();
    expect(html).toContain('核对结论：—');
    expect(html).not.toContain(a);
    expect(html).toContain(`${a.slice(0, 6)}********${a.slice(-4)}`);
    const missing = await get('/verification/LI20260101-AAAAAAAA.pdf', await civil().headers());
    expect(missing.status).toBe(404);
    const anonymous = await get(`/verification/${v.reference}.pdf`, {});
    expect(anonymous.status).toBe(401);
    const { rows } = await hub.owner.pool.query(`select outcome from audit_entry where operation_name = 'verificationReport' order by seq desc limit 1`);
    expect(rows[0].outcome).toBe('refused:UNAUTHENTICATED:missing-token');
  });

  test('a batch CSV is served to its department only, and audited', async () => {
    await prepareJobQueue(hub.owner.url);
    const { a, b } = await decided();
    const id = await createBatch(hub.db.pool, {
      name: 'csv', households: [{ applicant: a, declaredMembers: [b] }], chunk: 10,
      caller: { department: 'civil-affairs', system: 'test', purpose: 'low-income-verification', caseNumber: 'YZ-CSV' },
    });
    const res = await get(`/verification/batches/${id}.csv`, await civil().headers());
    expect(res.status).toBe(200);
    const csv = await res.text();
    expect(csv).toContain(`0,${a},ELIGIBLE,,`);
    const tax = await get(`/verification/batches/${id}.csv`, await hub.as('tax', { purpose: 'low-income-verification' }).headers());
    expect(tax.status).toBe(403);
  });
});
