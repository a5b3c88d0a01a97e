/**
 * The run page after a campaign with a rejected recipient, in a real browser: the reconciliation names
 * them, the delivery log filters to failures and exports them as CSV, "send to the failed and the
 * uncertain" starts a new run linked both ways, and axe-core finds no serious violation in the controls.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFaults, rejectsRecipient } from '../../server/sandbox-faults';
import type { FlowPublished, RunStarted } from '../../web/lib/api-types';
import { admin, Product, settledRun } from './product';

const shots = process.env.DRIPLINE_SCREENSHOT_DIR;
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const audience = { 'ada@example.test': 'ct_ada', 'grace@example.test': 'ct_grace', 'linus@example.test': 'ct_linus' };
// The sandbox rejects by a hash of the address and the seed: a seed that rejects exactly one of the three.
const seed = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].find(
  (s) => Object.keys(audience).filter((email) => rejectsRecipient(parseFaults(`reject=50%,seed=${s}`), email)).length === 1,
);
const faults = `reject=50%,seed=${seed}`;
const rejected = Object.keys(audience).filter((email) => rejectsRecipient(parseFaults(faults), email));

let product: Product;
beforeAll(async () => {
  product = await Product.start('reconcile', { SANDBOX_FAULTS: faults });
});
afterAll(async () => product?.stop());

describe('a run page after failures', () => {
  it('reconciles, filters the log, exports it, and sends to the failed and uncertain in a linked run', async () => {
    const version = (await product.admin.api<FlowPublished>('POST', '/api/flows/welcome/publish')).data.version;
    const { runId } = (await product.admin.api<RunStarted>('POST', '/api/runs', { flowId: 'welcome', version, contactIds: Object.values(audience) }))
      .data;
    await settledRun(product.admin, runId);

    const browser = await product.logIn(admin, `/runs/${runId}`);
    const { page } = browser;
    const reconciliation = page.getByTestId('reconciliation');
    await expect.poll(() => reconciliation.getByTestId('reconcile-failed').getByTestId('count').textContent()).toBe('1');
    expect(await reconciliation.getByTestId('reconcile-received').getByTestId('count').textContent()).toBe('2');

    // The log filtered to failures, by labelled controls.
    await page.getByLabel('Outcome').selectOption('failed');
    await page.getByTestId('log-filter-submit').click();
    await page.waitForURL(/outcome=failed/);
    const rows = page.getByTestId('attempt-row');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(rejected[0]);
    const csv = await product.admin.api<string>('GET', `/api/runs/${runId}/attempts/export?outcome=failed`);
    expect(csv.text.trim().split('\n')).toHaveLength(2);
    expect(csv.text).toContain(`${rejected[0]},${audience[rejected[0] as keyof typeof audience]},`);

    // The failed, listed, then sent to in a new run.
    await reconciliation.getByRole('link', { name: 'Failed' }).click();
    await page.getByTestId('reconcile-list').waitFor();
    expect(await page.getByTestId('reconcile-list').textContent()).toContain(rejected[0]);
    await page.addScriptTag({ path: axePath });
    const violations = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: { run: (d: Document) => Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[] }> };
        }
      ).axe;
      return (await axe.run(document)).violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
    });
    expect(violations).toEqual([]);
    // The failed and the uncertain, in one click from the run page.
    await page.goto(`${product.web}/runs/${runId}`);
    await page.getByTestId('send-to-failed-and-uncertain').click();
    await page.getByTestId('run-source').waitFor();
    const resendId = page.url().split('/runs/')[1]?.split(/[?#]/)[0];
    expect(resendId).not.toBe(runId);
    expect(await page.getByTestId('run-source').textContent()).toContain(runId);
    expect(await page.getByTestId('run-source').textContent()).toContain('(1 recipient)');
    await page.goto(`${product.web}/runs/${runId}`);
    expect(await page.getByTestId('run-resends').textContent()).toContain(resendId);
    // On a phone the filters and the counts wrap: nothing pushes the page sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${product.web}/runs/${runId}?outcome=failed`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);

    // The rejected recipient's story, from their row on the run page: the wait drawn, the refused attempt with its reply and advice.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${product.web}/runs/${runId}`);
    const contactId = audience[rejected[0] as keyof typeof audience];
    await page.getByTestId(`run-contact-${contactId}`).getByTestId('story-link').click();
    await page.waitForURL(new RegExp(`/runs/${runId}/recipients/${contactId}$`));
    const story = page.getByTestId('story');
    expect(await story.locator('li').evaluateAll((items) => items.map((li) => li.getAttribute('data-testid')))).toEqual([
      'story-entered',
      'story-delay',
      'story-attempt',
    ]);
    expect(await story.getByTestId('story-delay').textContent()).toMatch(/Waited [123] s \(drawn between 1 s and 3 s\)/);
    expect(await story.getByTestId('story-attempt').textContent()).toContain('Attempt #1: failed.');
    expect(await story.getByTestId('story-reply').textContent()).toMatch(/^5\d\d .+The server refused it for good/);
    expect(await page.getByTestId('story-now').textContent()).toContain('failed');
    if (shots) await page.screenshot({ path: `${shots}/recipient-story.png`, fullPage: true });
    // From the contact's page too: their delivery in this run links the same story.
    await page.goto(`${product.web}/contacts/${contactId}`);
    // (Their delivery in the resend run is listed too, newest first.)
    await page.locator(`[data-testid="delivery-story-link"][href="/runs/${runId}/recipients/${contactId}"]`).first().click();
    await page.waitForURL(new RegExp(`/runs/${runId}/recipients/${contactId}$`));
    await page.getByTestId('story-attempt').waitFor();
    await browser.close();
  });
});
