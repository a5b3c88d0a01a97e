/**
 * CSV import and export on the whole product (npm start: web app, worker, Temporal): in a browser,
 * upload → preview → mapping → progress → done, with the bad row and the duplicate reported by line and
 * the contacts on the chosen list; an upload larger than Next's proxy body buffer streams through whole;
 * and the export downloads the imported contacts back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContactPage, ImportStatusResponse, ImportUploadResponse, ListResponse, ListsResponse } from '../../web/lib/api-types';
import { admin, Product } from './product';

let product: Product;
beforeAll(async () => {
  product = await Product.start('contact-import');
});
afterAll(async () => product?.stop());

const CSV = [
  'Email,Name,Seats,Company',
  'ann@import.test,Ann,3,Acme',
  'bob@import.test,Bob,lots,Acme',
  'cy@import.test,Cy,5,Initech',
  'ANN@Import.test,Ann again,4,Acme',
  'dee@import.test,Dee,,Globex',
  '',
].join('\n');

describe('CSV import in the browser', () => {
  it('uploads, previews, maps, shows progress and ends with the bad row and the duplicate reported by line', async () => {
    const list = (await product.admin.api<ListResponse>('POST', '/api/lists', { name: 'From CSV' })).data;
    const browser = await product.logIn(admin, '/contacts');
    const { page } = browser;
    await page.getByTestId('import-contacts').click();
    await page.waitForURL(/\/contacts\/import$/);
    await page.getByTestId('import-file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
    await page.getByTestId('import-upload').click();
    await page.getByTestId('import-mapping').waitFor();
    expect(await page.getByTestId('import-preview').locator('tbody tr').count()).toBe(5);
    expect(await page.getByTestId('import-target-0').inputValue()).toBe('email');
    expect(await page.getByTestId('import-target-1').inputValue()).toBe('name');
    expect(await page.getByTestId('import-attribute-2').inputValue()).toBe('seats');
    await page.getByTestId('import-type-2').selectOption('number');
    await page.getByTestId('import-list').selectOption(list.id);
    await page.getByTestId('import-start').click();
    await page.waitForURL(/\/contacts\/import\/imp_/);
    await page.locator('[data-testid="import-progress"][data-status="done"]').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('import-created').textContent()).toBe('3');
    expect(await page.getByTestId('import-invalid').textContent()).toBe('1');
    expect(await page.getByTestId('import-duplicates').textContent()).toBe('1');
    const problems = await page.getByTestId('import-problems').locator('tbody tr').allTextContents();
    expect(problems).toEqual([
      expect.stringMatching(/^3seats is a number attribute/),
      expect.stringMatching(/^5ANN@Import\.test is already on line 2/),
    ]);
    await browser.close();

    const ann = (await product.admin.api<ContactPage>('GET', '/api/contacts?q=ann@import.test')).data.contacts[0];
    expect(ann).toMatchObject({ name: 'Ann', attributes: { seats: 3, company: 'Acme' } });
    const lists = (await product.admin.api<ListsResponse>('GET', '/api/lists')).data.lists;
    expect(lists.find((l) => l.id === list.id)?.members).toBe(3);

    const exported = await fetch(`${product.web}/api/contacts/export?list=${list.id}`, { headers: { cookie: product.admin.cookie } });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await exported.text()).trimEnd().split('\n');
    expect(lines[0]?.split(',').slice(0, 4)).toEqual(['email', 'name', 'status', 'created_at']);
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',')[0])
        .sort(),
    ).toEqual(['ann@import.test', 'cy@import.test', 'dee@import.test']);
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
