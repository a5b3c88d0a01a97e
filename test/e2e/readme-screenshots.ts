/**
 * The README's screenshots of the editor, at desktop size and at 1024×700, and of a run's report and a
 * recipient's story after a campaign against a misbehaving sandbox (run-story-flow.ts), taken from the real product
 * in headless Chromium: `npm run screenshots` (its own vitest config, test/e2e/screenshots.config.ts; not
 * part of `npm test`, which runs `*.test.ts`). Each shot also checks
 * that the page does not scroll sideways, so a screenshot never shows a broken layout.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { FlowPublished, RunAnswer, SandboxMessageList } from '../../web/lib/api-types';
import { root } from '../helpers';
import type { ReconciliationAnswer } from '../../web/lib/run-log-api';
import { admin, eventually, portsFor, Product, saved } from './product';
import { clickOffer, endTheWait, holdUncertainSends, importReaders, publishStoryFlow, STORY_FAULTS, startForList } from './run-story-flow';

const out = path.join(root, 'web', 'public', 'readme');

/** Lets the canvas settle (fitView, fonts) before a picture. */
async function settle(page: Page): Promise<void> {
  await page.evaluate(() => document.fonts.ready.then(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))));
}

async function shoot(page: Page, file: string): Promise<void> {
  // The page at its top.
  await page.evaluate(() => window.scrollTo(0, 0));
  await settle(page);
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

  it('a run’s report and a failed recipient’s story', async () => {
    const product = await Product.start('readme-screenshots', {
      SANDBOX_FAULTS: STORY_FAULTS,
      DRIPLINE_PUBLIC_URL: `http://127.0.0.1:${portsFor('readme-screenshots').web}`,
    });
    try {
      await importReaders(product, 200, 'Spring readers');
      await holdUncertainSends(product);
      // Drawn over three minutes, so that the chart has a bar for each.
      await publishStoryFlow(product, 'spring', { min: 0, max: 3, unit: 'minutes' });
      const browser = await product.logIn(admin, '/flows/spring/run');
      const { page } = browser;
      await page.setViewportSize({ width: 1400, height: 900 });
      const runId = await startForList(page, 'Spring readers', 200);
      // Every offer tried (the accepted wait out the hour to click): one reader clicks, then the hour ends.
      await eventually(
        'every offer to be tried',
        async () => {
          const { counts } = (await product.admin.api<ReconciliationAnswer>('GET', `/api/runs/${runId}/reconciliation`)).data;
          return counts.every((c) => c.set !== 'unsent') && counts.reduce((sum, c) => sum + c.count, 0) === 200;
        },
        { timeoutMs: 400_000 },
      );
      // A reader whose offer was accepted (a dropped one is held, and never reaches the Condition).
      const got =
        (await product.admin.api<ReconciliationAnswer>('GET', `/api/runs/${runId}/reconciliation?set=received&limit=500`)).data.list?.items ?? [];
      const mail = (await product.admin.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data;
      await clickOffer(
        page,
        product,
        mail.find((m) => m.subject.startsWith('Spring offer') && got.some((r) => r.email === m.envelopeTo))?.envelopeTo ?? '',
      );
      await endTheWait(product, runId);
      await eventually(
        'the run to finish',
        async () => (await product.admin.api<RunAnswer>('GET', `/api/runs/${runId}`)).data.run.status === 'completed',
        { timeoutMs: 180_000 },
      );

      await page.goto(`${product.web}/runs/${runId}`);
      await page.getByTestId('step-figures-follow-up').waitFor();
      await page.getByTestId('run-report').locator('.react-flow__controls-fitview').click();
      await settle(page);
      await page.getByTestId('run-report').screenshot({ path: path.join(out, 'run-report.png') });

      const failed = (await product.admin.api<ReconciliationAnswer>('GET', `/api/runs/${runId}/reconciliation?set=failed&limit=1`)).data.list
        ?.items[0];
      await page.setViewportSize({ width: 1100, height: 640 });
      await page.goto(`${product.web}/runs/${runId}/recipients/${failed?.contactId ?? ''}`);
      await page.getByTestId('story-reply').waitFor();
      await shoot(page, 'recipient-story.png');
      await browser.close();
    } finally {
      await product.stop();
    }
  }, 600_000);
});
