import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import chromium from '@sparticuz/chromium';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SHEET_ITEM_COLUMNS, SHEET_RESOURCE_COLUMNS } from '../../src/catalog/index.js';
import { grantDemoAccess, seedCity, seedSpatial } from '../../src/simulate/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * The console, the open data portal and the citizen's page in a real Chromium (the one the
 * `@sparticuz/chromium` npm package ships), against a real hub over HTTP. Each main page is kept as
 * a screenshot in `test-artifacts/console/`.
 */
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/console');
let hub: TestHub;
let browser: Browser;
let person: { id: string; name: string };
const UNTIL = `${new Date().getFullYear() + 1}-12-31`;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  // Checkpoints every few entries, so that the auditor's page has a last signed checkpoint to show.
  hub = await startTestHub({ HUITONG_AUDIT_CHECKPOINT_EVERY: '5' });
  await seedSpatial(hub.owner.pool, { scale: 0.1 });
  await seedCity(hub.owner.pool, { persons: 400, seed: 31 });
  await grantDemoAccess(hub.db.pool);
  await hub.services.catalog.reload();
  const { rows } = await hub.db.pool.query<{ id: string; name: string }>(`select id_number as id, name from person where valid_to is null order by id_number limit 1`);
  person = rows[0];
  // Civil affairs reads the person for a case: what the auditor and the citizen will find.
  const read = await hub
    .as('civil-affairs', { purpose: 'low-income-verification', caseNumber: 'YZ-2026-0777' })
    .query(`query Check($id: String!) { person(idNumber: $id) { name idNumber } }`, { id: person.id });
  expect(read.errors).toBeUndefined();
  // Without --single-process (meant for serverless hosts): in one process, contexts shared their storage.
  const args = chromium.args.filter((a) => a !== '--single-process');
  browser = await playwright.launch({ executablePath: await chromium.executablePath(), args, headless: true });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  return page;
}
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

/** Demo sign-in: the department and roles chosen on the sign-in page. */
async function signIn(page: Page, department: string, roles: string[]): Promise<void> {
  await page.goto(`${hub.url}/console`);
  // Until the web font is in, text reflows and Playwright waits for buttons to hold still.
  await page.evaluate(() => document.fonts.ready);
  await page.locator('#demo-sign-in select[name=department]').selectOption(department);
  for (const box of await page.locator('#demo-sign-in input[name=role]').all()) {
    const role = await box.getAttribute('value');
    if (roles.includes(role!)) await box.check();
    else await box.uncheck();
  }
  await page.click('[data-action=demo-sign-in]');
  await page.waitForSelector('#catalog tbody tr');
}

describe('the console in a browser', () => {
  test('signs in (demo sign-in), shows the catalogue and finds a resource', async () => {
    const page = await newPage();
    await signIn(page, 'data-bureau', ['catalog-admin']);
    await expect.poll(() => page.locator('[data-whoami]').textContent()).toContain('catalog-admin');
    expect(await page.locator('#catalog tbody tr').count()).toBeGreaterThan(5);
    await shot(page, '01-catalogue');
    await page.fill('#catalog input[name=search]', '人口');
    await page.click('#catalog button[type=submit]');
    await page.waitForSelector('#catalog tr[data-code="population.person"]');
    await page.click('#catalog tr[data-code="population.person"] a');
    await page.waitForSelector('#items tbody tr');
    expect(await page.locator('#resource').textContent()).toContain('id-number');
    await page.locator('#resource details', { hasText: 'JSON Schema' }).locator('summary').click();
    expect(await page.locator('#resource pre').textContent()).toContain('"$schema"');
    await shot(page, '02-resource');
    // English is available.
    await page.click('[data-lang-toggle]');
    await expect.poll(() => page.locator('#resource h3').first().textContent()).toBe('Data items');
    await page.close();
  }, 120_000);

  test('registers a resource through the form (the API’s problems beside their fields), then retires it', async () => {
    const page = await newPage();
    await signIn(page, 'data-bureau', ['catalog-admin']);
    await page.click('[data-nav=register]');
    await page.waitForSelector('#resource-form input[name=code]');
    const form = page.locator('#resource-form');
    await form.locator('input[name=code]').fill('health.console-test');
    await form.locator('select[name=provider]').selectOption('health');
    await form.locator('input[name=name]').fill('控制台测试资源');
    await form.locator('input[name=nameEn]').fill('Console test resource');
    await form.locator('textarea[name=summary]').fill('用于浏览器测试的部门资源。A department resource for the browser test.');
    await form.locator('input[name=category]').fill('卫生健康');
    await form.locator('input[name=graphqlType]').fill('consoleTest'); // wrong: must start upper case
    await form.locator('input[name="items.0.name"]').fill('patientIdNumber');
    await form.locator('input[name="items.0.title"]').fill('患者身份证号');
    await form.locator('input[name="items.0.description"]').fill('Citizen ID number of the patient');
    await form.locator('select[name="items.0.sensitivity"]').selectOption('personal');
    await form.locator('select[name="items.0.mask"]').selectOption('id-number');
    await form.locator('input[name="items.0.identifiesPerson"]').check();
    await form.locator('input[name=sharingConditions]').fill('仅限医疗保障经办');
    await form.locator('input[name=recordSchema]').fill('schemas/records/missing.json');
    await form.locator('input[name=reason]').fill('浏览器测试');
    await page.click('[data-action=save]');
    await page.waitForSelector('[data-problems]', { state: 'visible' });
    expect(await form.locator('[data-for=graphqlType]').textContent()).toMatch(/pattern/);
    await shot(page, '03-register-errors');
    await form.locator('input[name=graphqlType]').fill('ConsoleTest');
    await page.click('[data-action=save]');
    await expect.poll(async () => `${await form.locator('[data-for=recordSchema]').textContent()} ${await form.locator('[data-problems]').textContent()}`).toContain('does not exist');
    await form.locator('input[name=recordSchema]').fill('schemas/records/population.person.json');
    await page.click('[data-action=save]');
    await page.waitForURL(/#\/resource\/health\.console-test/);
    await page.waitForSelector('#items tbody tr');
    const stored = await hub.db.pool.query(`select provider, version from catalog_resource where code = 'health.console-test'`);
    expect(stored.rows[0]).toMatchObject({ provider: 'health', version: 1 });
    await shot(page, '04-registered');
    // Retire it: the reason is asked for, and the resource leaves discovery.
    page.once('dialog', (dialog) => void dialog.accept('浏览器测试完毕'));
    await page.click('[data-action=retire]');
    await expect.poll(async () => (await hub.db.pool.query(`select retired_at is not null as retired from catalog_resource where code = 'health.console-test'`)).rows[0].retired).toBe(true);
    await expect.poll(() => page.locator('#resource mark').first().isVisible()).toBe(true);
    await page.close();
  }, 120_000);

  test('a provider approves a request, narrowing the fields and masking one; the consumer sees it in its outbox', async () => {
    const asked = await hub.as('civil-affairs').query(`mutation($r: AccessRequestInput!) { requestAccess(request: $r) { id } }`, {
      r: { resource: 'population.person', fields: ['idNumber', 'name', 'birthDate'], purpose: 'social-assistance', legalBasis: '社会救助暂行办法', validUntil: UNTIL },
    });
    expect(asked.errors).toBeUndefined();
    const id = asked.data.requestAccess.id as string;
    const page = await newPage();
    await signIn(page, 'public-security', ['provider']);
    await page.click('[data-nav=requests]');
    const row = page.locator(`#requests tr[data-request="${id}"]`);
    await row.waitFor();
    await shot(page, '06-inbox');
    await row.locator('[data-action=approve]').click();
    const dialog = page.locator('#decision');
    await dialog.locator('input[name=grant-field][value=birthDate]').uncheck();
    await dialog.locator('input[name=mask-field][value=idNumber]').check();
    await dialog.locator('input[name=decisionReason]').fill('按最小必要原则批准');
    await page.click('[data-action=confirm-decision]');
    await expect.poll(() => page.locator(`#requests tr[data-request="${id}"] [data-status]`).last().getAttribute('data-status')).toBe('approved');
    expect(await page.locator(`#requests tr[data-request="${id}"]`).last().textContent()).toContain('已批准');
    const api = await hub.as('public-security', { roles: ['provider'] }).query(`query($id: ID!) { accessRequest(id: $id) { status grant { fields { name level } } } }`, { id });
    expect(api.data.accessRequest.status).toBe('approved');
    expect(api.data.accessRequest.grant.fields).toEqual(expect.arrayContaining([{ name: 'idNumber', level: 'masked' }, { name: 'name', level: 'clear' }]));
    expect(api.data.accessRequest.grant.fields).toHaveLength(2);
    await page.close();

    const consumer = await newPage();
    await signIn(consumer, 'civil-affairs', ['consumer']);
    await consumer.click('[data-nav=requests]');
    await consumer.click('[data-tab=outbox]');
    await consumer.locator(`#requests tr[data-request="${id}"]`).waitFor();
    await shot(consumer, '07-outbox');
    await consumer.close();
  }, 120_000);

  test("an auditor sees the chain verified with its last checkpoint and looks up a subject's access log", async () => {
    const page = await newPage();
    await signIn(page, 'data-bureau', ['auditor']);
    await page.click('[data-nav=audit]');
    await expect.poll(() => page.locator('[data-chain]').textContent()).toBe('完整');
    expect(await page.locator('[data-last-checkpoint]').textContent()).toMatch(/#\d+/);
    await page.fill('#audit input[name=subject]', person.id);
    await page.click('[data-action=look-up]');
    const entry = page.locator('#timeline li', { hasText: 'YZ-2026-0777' });
    await entry.waitFor();
    expect(await entry.textContent()).toContain('low-income-verification');
    await shot(page, '08-audit');
    await page.close();
  }, 120_000);

  test('imports a catalogue spreadsheet: the dry-run report first, then the import', async () => {
    const header = [...SHEET_RESOURCE_COLUMNS, ...SHEET_ITEM_COLUMNS];
    const cells: Record<string, string> = {
      code: 'tax.sheet-test', name: '纳税记录（表格）', nameEn: 'Tax records (sheet)', summary: '表格导入测试 sheet import test', provider: 'tax',
      class: 'department', category: '财税', graphqlType: 'TaxSheet', sharingType: 'unconditional', sharingMethods: 'query', open: '否',
      updateCycle: 'monthly', publishedAt: '2026-11-24', recordSchema: 'schemas/records/population.person.json',
      itemName: 'period', itemTitle: '所属期', itemType: 'string', itemDescription: 'Tax period', sensitivity: 'public', identifiesPerson: 'no',
    };
    const page = await newPage();
    await signIn(page, 'data-bureau', ['catalog-admin']);
    await page.goto(`${hub.url}/console#/import`);
    await page.locator('#sheet-file').setInputFiles({ name: 'catalog.csv', mimeType: 'text/csv', buffer: Buffer.from(`${header.join(',')}\n${header.map((h) => cells[h] ?? '').join(',')}\n`) });
    await page.click('[data-action=dry-run]');
    await expect.poll(() => page.locator('#sheet-report tbody').textContent()).toContain('registered');
    expect((await hub.db.pool.query(`select 1 from catalog_resource where code = 'tax.sheet-test'`)).rowCount).toBe(0);
    await shot(page, '05-import-dry-run');
    await page.fill('input[name=sheetReason]', '表格导入');
    await page.click('[data-action=import]');
    await expect.poll(async () => (await hub.db.pool.query(`select 1 from catalog_resource where code = 'tax.sheet-test'`)).rowCount).toBe(1);
    await page.close();
  }, 120_000);
});

describe('open data and the citizen page in a browser', () => {
  test('downloads an open dataset from its page, which shows a chart', async () => {
    const page = await newPage();
    await page.goto(`${hub.url}/open`);
    await shot(page, '09-open-list');
    await page.click('a[href="/open/datasets/open.population-by-division-age"]');
    await page.waitForSelector('svg.chart rect');
    await shot(page, '10-open-dataset');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-download=csv]')]);
    expect(download.suggestedFilename()).toBe('open.population-by-division-age.csv');
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.replace(/^\uFEFF/, '').split('\r\n')[0]).toBe('divisionCode,divisionName,ageBand,persons');
    expect(csv).not.toContain(person.id);
    await page.close();
  }, 120_000);

  test('a citizen signs in and sees who read their data', async () => {
    const page = await newPage();
    await page.goto(`${hub.url}/console/citizen`);
    await page.fill('input[name=idNumber]', person.id);
    await page.click('[data-action=citizen-demo-sign-in]');
    const entry = page.locator('#timeline li', { hasText: 'YZ-2026-0777' });
    await entry.waitFor();
    expect(await entry.textContent()).toContain('民政');
    expect(await entry.textContent()).not.toContain('low-income-verification'); // the purpose by its name
    await shot(page, '11-citizen');
    // The page's own reading is in the audit trail.
    const entries = await hub.audit.entriesAbout(person.id);
    expect(entries.some((e) => e.department === '(citizen)')).toBe(true);
    await page.close();
  }, 120_000);
});
