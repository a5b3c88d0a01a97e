/**
 * Accessibility in a real browser: axe-core (the engine browser extensions and CI tools use) scans the
 * flow editor (with a node selected, and with a connection's step picker open), a run page, the
 * settings pages (the API page and the event log included) and the sandbox mailbox with a message
 * open, and finds no violation of serious or critical impact.
 */
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowPublished, RunStarted } from '../../web/lib/api-types';
import { admin, Product, settledRun } from './product';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let product: Product;

beforeAll(async () => {
  product = await Product.start('accessibility');
});

afterAll(async () => {
  await product?.stop();
});

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** The page's serious and critical axe violations, each with the elements it found them on. */
async function seriousViolations(page: Page): Promise<Violation[]> {
  await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations as { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
}

async function expectAccessible(page: Page, what: string): Promise<void> {
  const found = await seriousViolations(page);
  expect(found, `${what}: ${JSON.stringify(found, null, 1)}`).toEqual([]);
}

describe('axe-core finds no serious or critical violations', () => {
  it('on the flow editor, with a node selected and with the step picker open', async () => {
    const browser = await product.logIn(admin, '/flows/welcome');
    const { page } = browser;
    await page.getByTestId('node-sendEmail').waitFor({ timeout: 60_000 });
    await expectAccessible(page, 'the editor');
    await page.getByTestId('node-sendEmail').click();
    await page.getByTestId('node-panel').waitFor();
    await expectAccessible(page, 'the editor with a Send Email selected');

    // The banner of unpublished changes, after a publish and an edit.
    await page.getByTestId('publish-flow').click();
    await page.getByTestId('published-version').waitFor();
    await page.getByTestId('node-panel').getByLabel('Subject').fill('Changed subject');
    await page.getByTestId('draft-banner').waitFor();
    await page.getByTestId('draft-summary').click();
    await page.getByTestId('draft-diff').waitFor({ state: 'visible' });
    // A connection dropped on empty canvas opens the step picker.
    const handle = page.locator('.react-flow__node[data-id="done"]').locator('.react-flow__handle.target');
    const box = await handle.boundingBox();
    const pane = await page.locator('.react-flow__pane').boundingBox();
    if (!box || !pane) throw new Error('not on screen');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(pane.x + pane.width - 60, pane.y + 60, { steps: 10 });
    await page.mouse.up();
    await page.getByTestId('step-picker').waitFor();
    await expectAccessible(page, 'the editor with the banner and the step picker');
    await browser.close();
  });

  it('on a run page', async () => {
    const version = (await product.admin.api<FlowPublished>('POST', '/api/flows/welcome/publish')).data.version;
    const run = (await product.admin.api<RunStarted>('POST', '/api/runs', { flowId: 'welcome', version, contactIds: ['ct_ada', 'ct_grace'] })).data;
    await settledRun(product.admin, run.runId);
    const browser = await product.logIn(admin, `/runs/${run.runId}`);
    const { page } = browser;
    await page.getByTestId('attempt-row').first().waitFor();
    await expectAccessible(page, 'the run page');
    await page.goto(`${product.web}/flows/welcome/run`);
    await expectAccessible(page, 'the start page');
    await page.goto(`${product.web}/flows`);
    await expectAccessible(page, 'the flows list');
    await browser.close();
  });

  it('on the settings pages', async () => {
    const browser = await product.logIn(admin, '/settings/smtp');
    const { page } = browser;
    for (const path of [
      '/settings',
      '/settings/smtp',
      '/settings/smtp/new',
      '/settings/smtp/sandbox',
      '/settings/users',
      '/settings/api-keys',
      '/settings/api-keys/events',
    ]) {
      await page.goto(`${product.web}${path}`);
      await page.locator('main').waitFor();
      await expectAccessible(page, path);
    }
    await browser.close();
  });

  it('on the sandbox mailbox, with a message open on each of its tabs', async () => {
    // The run of the test before mailed the seeded contacts through the sandbox.
    const browser = await product.logIn(admin, '/sandbox');
    const { page } = browser;
    await page.getByTestId('sandbox-message').first().waitFor();
    await expectAccessible(page, 'the sandbox mailbox');
    await page.getByTestId('sandbox-message').first().click();
    await page.getByTestId('sandbox-message-view').waitFor();
    for (const tab of ['html', 'text', 'headers', 'source']) {
      await page.getByTestId(`message-tab-${tab}`).click();
      await expect.poll(() => page.getByTestId(`message-tab-${tab}`).getAttribute('aria-selected')).toBe('true');
      await expectAccessible(page, `the sandbox mailbox's ${tab} tab`);
    }
    await browser.close();
  });
});
