/**
 * The README's screenshots of the editor, at desktop size and at 1024×700, taken from the real product
 * in headless Chromium: `npm run screenshots` (its own vitest config, test/e2e/screenshots.config.ts; not
 * part of `npm test`, which runs `*.test.ts`). Each shot also checks
 * that the page does not scroll sideways, so a screenshot never shows a broken layout.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { FlowPublished } from '../../web/lib/api-types';
import { root } from '../helpers';
import { admin, Product, saved } from './product';

const out = path.join(root, 'web', 'public', 'readme');

async function shoot(page: Page, file: string): Promise<void> {
  // Let the canvas settle (fitView, fonts) before the picture, the page at its top.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.evaluate(() => document.fonts.ready.then(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))));
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await page.screenshot({ path: path.join(out, file) });
}

describe('README screenshots', () => {
  it('the editor at desktop size and at 1024×700', async () => {
    const product = await Product.start('readme-screenshots');
    try {
      // A published flow with an edit not yet published: the banner says what changed.
      await product.admin.api<FlowPublished>('POST', '/api/flows/welcome/publish', { note: 'First version' }).then((a) => a.data);
      const browser = await product.logIn(admin, '/flows/welcome');
      const { page } = browser;
      await page.setViewportSize({ width: 1400, height: 900 });
      await page.reload();
      await page.getByTestId('node-sendEmail').waitFor({ timeout: 60_000 });
      await page.getByTestId('node-sendEmail').click();
      await page.getByTestId('step-name').fill('Welcome email');
      await saved(page);
      await page.getByTestId('draft-banner').waitFor();
      await page.getByTestId('draft-summary').click();
      await page.locator('.react-flow__controls-fitview').click();
      await shoot(page, 'editor.png');

      await page.setViewportSize({ width: 1024, height: 700 });
      await page.reload();
      await page.getByTestId('node-sendEmail').waitFor();
      await page.getByTestId('node-sendEmail').click();
      await shoot(page, 'editor-1024.png');
      await browser.close();
    } finally {
      await product.stop();
    }
  });
});
