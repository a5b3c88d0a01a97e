/** The sample flow, published in the editor and run from the browser for every contact, through to the sandbox mailbox. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxMessageList } from '../../web/lib/api-types';
import { admin, Product, waitForText } from './product';

let product: Product;

beforeAll(async () => {
  product = await Product.start('flows-and-runs');
});

afterAll(async () => {
  await product?.stop();
});

describe('flows and runs', () => {
  it('publishes the sample flow in the editor, runs it for 3 contacts, and sees them sent', async () => {
    const browser = await product.logIn(admin, '/flows/welcome');
    const { page } = browser;
    for (const type of ['trigger', 'delay', 'sendEmail', 'exit']) {
      await page.getByTestId(`node-${type}`).first().waitFor({ timeout: 60_000 });
    }
    await page.getByTestId('publish-flow').click();
    await page
      .getByTestId('published-version')
      .filter({ hasText: /Published version \d+/ })
      .waitFor();
    await page.getByTestId('start-run-link').click();

    await page.getByTestId('select-all-contacts').check();
    await page.getByTestId('start-run').click();
    await page.waitForURL(/\/runs\/run_/);
    await waitForText(page, '[data-testid^="run-contact-"] [data-testid="status"]', 'completed', 3);

    for (const id of ['ct_ada', 'ct_grace', 'ct_linus']) {
      await expect.poll(() => page.getByTestId(`run-contact-${id}`).getByTestId('status').textContent()).toBe('completed');
    }
    const attempts = await page.getByTestId('attempt-row').allTextContents();
    expect(attempts).toHaveLength(3);
    for (const row of attempts) expect(row).toMatch(/250 .*queued as sandbox-/);
    const links = await page.getByTestId('temporal-link').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(links.length).toBeGreaterThanOrEqual(3);
    for (const href of links) expect(href).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${product.ports.ui}/namespaces/default/workflows/campaign`));

    const messages = (await product.admin.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data;
    expect(messages.map((m) => m.toHeader).sort()).toEqual([
      '"Ada Lovelace" <ada@example.test>',
      '"Grace Hopper" <grace@example.test>',
      '"Linus Torvalds" <linus@example.test>',
    ]);
    for (const m of messages) {
      expect(m.fromHeader).toBe('"Dripline Sandbox" <hello@dripline.test>');
      expect(m.replyTo).toBe('support@dripline.test');
      expect(m.subject).toMatch(/^Welcome to Dripline, (Ada Lovelace|Grace Hopper|Linus Torvalds)$/);
    }

    await page.goto(`${product.web}/sandbox`);
    await page.getByTestId('sandbox-message').nth(2).waitFor();
    await browser.close();
  });
});
