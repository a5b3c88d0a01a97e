/**
 * CSV import and export on the whole product (npm start: web app, worker, Temporal): in a browser,
 * upload → preview → mapping (names and types read from the file) → progress → done, with the refused row,
 * the duplicate and the rows imported without a value reported by line, and the contacts on a list made by the
 * import; that list's page; an upload larger than Next's proxy body buffer streams through whole; and the
 * export downloads the list's contacts back. DRIPLINE_SCREENSHOT_DIR, when set, receives the pages' screenshots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import type { ContactPage, ContactResponse, ImportStatusResponse, ImportUploadResponse } from '../../web/lib/api-types';
import { admin, Product } from './product';

let product: Product;
beforeAll(async () => {
  product = await Product.start('contact-import');
});
afterAll(async () => product?.stop());

/** The corpus's tricky rows: a bad date (line 3), a quoted line break (lines 4–5), a duplicate (6), an extra field (7), no valid email (8). */
const CSV = [
  'Email,First Name,Last Name,Signed up,Seats,Company',
  'ann@import.test,Ann,Lee,2025-01-02,3,Acme',
  'bob@import.test,Bob,Stone,2025-13-01,4,Acme',
  'cy@import.test,Cy,Young,2025-03-04,5,"Initech',
  'Labs"',
  'ANN@Import.test,Ann,Again,2025-01-05,4,Acme',
  'dee@import.test,Dee,Ray,2025-04-05,6,Globex,EXTRA',
  'not-an-email,Eve,Moss,2025-04-06,7,Acme',
  'fay@import.test,Fay,,2025-04-07,,Umbrella',
  '',
].join('\r\n');
const shots = process.env.DRIPLINE_SCREENSHOT_DIR;

describe('CSV import in the browser', () => {
  it('imports every row with a valid email into a new list, warning by line about the values left out; the list page shows, finds, adds and removes members', async () => {
    const zed = (await product.admin.api<ContactResponse>('POST', '/api/contacts', { email: 'zed@import.test', name: 'Zed' })).data;
    const browser = await product.logIn(admin, '/contacts');
    const { page } = browser;
    await page.getByTestId('import-contacts').click();
    await page.waitForURL(/\/contacts\/import$/);
    await page.getByTestId('import-file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
    await page.getByTestId('import-upload').click();
    await page.getByTestId('import-mapping').waitFor();
    expect(await page.getByTestId('import-preview').locator('tbody tr').count()).toBe(5);
    const targets = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => page.getByTestId(`import-target-${i}`).inputValue()));
    expect(targets).toEqual(['email', 'name', 'name', 'attribute', 'attribute', 'attribute']);
    // Types read from the data, shown and changeable: a date despite line 3's typo, a number, text.
    expect(await page.getByTestId('import-type-3').inputValue()).toBe('date');
    expect(await page.getByTestId('import-detected-3').textContent()).toBe('detected: date');
    expect(await page.getByTestId('import-type-4').inputValue()).toBe('number');
    expect(await page.getByTestId('import-type-5').inputValue()).toBe('text');
    await page.getByTestId('import-list').selectOption('new');
    await page.getByTestId('import-start').click();
    expect(await page.getByTestId('import-error').textContent()).toMatch(/^name the new list/);
    await page.getByTestId('import-new-list').fill('From CSV');
    if (shots) await page.screenshot({ path: `${shots}/import-mapping.png`, fullPage: true });
    await page.getByTestId('import-start').click();
    await page.waitForURL(/\/contacts\/import\/imp_/);
    await page.locator('[data-testid="import-progress"][data-status="done"]').waitFor({ timeout: 120_000 });
    const counts = await Promise.all(
      ['created', 'invalid', 'duplicates', 'warnings'].map(async (c) => page.getByTestId(`import-${c}`).textContent()),
    );
    expect(counts).toEqual(['5', '1', '1', '2']);
    const problems = await page.getByTestId('import-problems').locator('tbody tr').allTextContents();
    expect(problems).toEqual([
      expect.stringMatching(/^3Imported with a warningsigned_up "2025-13-01" skipped: signed_up is a date attribute/),
      expect.stringMatching(/^6SkippedANN@Import\.test is already on line 2/),
      expect.stringMatching(/^7Imported with a warninghas 7 values but the header has 6 columns: the 1 extra skipped$/),
      expect.stringMatching(/^8Refused"not-an-email" is not an email address/),
    ]);
    if (shots) await page.screenshot({ path: `${shots}/import-done.png`, fullPage: true });

    // The new list's page: its members, searched on the server; one added by an email search, one removed.
    await page.getByTestId('import-list-link').click();
    await page.waitForURL(/\/lists\/list_/);
    const listId = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]!);
    expect(await page.getByTestId('list-name').textContent()).toBe('From CSV');
    const rows = page.getByTestId('list-members').locator('tbody tr');
    expect((await rows.allTextContents()).map((r) => r.split('@')[0]).sort()).toEqual(['ann', 'bob', 'cy', 'dee', 'fay']);
    expect(await rows.filter({ hasText: 'cy@import.test' }).textContent()).toContain('Cy Young');
    await page.getByTestId('list-search').fill('YOUNG');
    await page.getByTestId('list-search-submit').click();
    await page.waitForURL(/\?q=YOUNG/);
    expect(await rows.allTextContents()).toEqual([expect.stringContaining('cy@import.test')]);
    const cy = (await product.admin.api<ContactPage>('GET', '/api/contacts?q=cy@import.test')).data.contacts[0]!;
    await page.getByTestId(`list-remove-${cy.id}`).click();
    await page
      .getByTestId('list-total')
      .filter({ hasText: /^0 members/ })
      .waitFor();
    await page.getByTestId('list-add-search').fill('zed@');
    await page.getByTestId('list-add-find').click();
    await page.getByTestId(`list-add-${zed.id}`).click();
    await page
      .getByTestId('list-counts')
      .filter({ hasText: /^5 members/ })
      .waitFor();
    await page.goto(`${product.web}/lists`);
    await page.getByTestId(`list-link-${listId}`).click();
    await page.waitForURL(/\/lists\/list_/);
    expect(await rows.filter({ hasText: 'zed@import.test' }).count()).toBe(1);
    if (shots) await page.screenshot({ path: `${shots}/list-page.png`, fullPage: true });
    await browser.close();

    const ann = (await product.admin.api<ContactPage>('GET', '/api/contacts?q=ann@import.test')).data.contacts[0];
    expect(ann).toMatchObject({ name: 'Ann Lee', attributes: { seats: 3, company: 'Acme', signed_up: '2025-01-02' } });
    const bob = (await product.admin.api<ContactPage>('GET', '/api/contacts?q=bob@import.test')).data.contacts[0];
    expect(bob?.attributes).toEqual({ seats: 4, company: 'Acme' });
    expect(cy.attributes.company).toBe('Initech\r\nLabs');

    const exported = await fetch(`${product.web}/api/contacts/export?list=${listId}`, { headers: { cookie: product.admin.cookie } });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toMatch(/^text\/csv/);
    const records = parse(await exported.text()) as string[][];
    expect(records[0]?.slice(0, 4)).toEqual(['email', 'name', 'status', 'created_at']);
    expect(
      records
        .slice(1)
        .map((r) => r[0])
        .sort(),
    ).toEqual(['ann@import.test', 'bob@import.test', 'dee@import.test', 'fay@import.test', 'zed@import.test']);
  });

  it('streams an upload larger than the proxy body buffer (10 MB) through whole, and refuses an empty one by its field', async () => {
    const rows = 200_000;
    const body = `email,name\n${Array.from({ length: rows }, (_, i) => `big-${i}@import.test,Person number ${i} of the big file`).join('\n')}\n`;
    expect(body.length).toBeGreaterThan(10 * 1024 * 1024);
    const res = await fetch(`${product.web}/api/imports?name=big.csv`, {
      method: 'POST',
      headers: { cookie: product.admin.cookie, origin: product.web, 'content-type': 'text/csv' },
      body,
    });
    expect(res.status).toBe(201);
    const uploaded = (await res.json()) as ImportUploadResponse;
    expect(uploaded).toMatchObject({ columns: ['email', 'name'], totalRows: rows });
    const status = (await product.admin.api<ImportStatusResponse>('GET', `/api/imports/${uploaded.id}`)).data;
    expect(status.import).toMatchObject({ status: 'uploaded', totalRows: rows, rowsDone: 0 });

    const bad = await product.admin.api<ImportStatusResponse>('POST', `/api/imports/${uploaded.id}/start`, {
      mapping: [{ to: 'name' }, { to: 'name' }],
    });
    expect(bad.status).toBe(422);
    expect(bad.error.details).toMatchObject({ field: 'mapping' });

    const empty = await product.admin.apiRaw('POST', '/api/imports', '');
    expect(empty.status).toBe(422);
    expect(empty.error.code).toBe('empty_file');
  });
});
