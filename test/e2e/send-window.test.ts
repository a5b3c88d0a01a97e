/**
 * The Send window in the editor, in a real browser: added into the chain, its panel says at each field
 * what to fix (no day, a window that closes before it opens, a zone that is not one), and once fixed
 * the flow publishes with the window in its plan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowGraph } from '../../domain/flow/schema';
import type { FlowResponse } from '../../web/lib/api-types';
import { admin, Product, saved } from './product';

let product: Product;

beforeAll(async () => {
  product = await Product.start('send-window');
});

afterAll(async () => {
  await product?.stop();
});

describe('the Send window in the editor', () => {
  it('is added under the Delay, explains each wrong field where it is, and publishes once fixed', async () => {
    const browser = await product.logIn(admin, '/flows/welcome');
    const { page } = browser;
    await page.goto(`${product.web}/flows/welcome`);
    await page.getByTestId('node-delay').first().waitFor({ timeout: 60_000 });
    await page.getByTestId('node-delay').click();
    await page.getByTestId('add-sendWindow').click();
    const node = page.getByTestId('node-sendWindow');
    await expect.poll(() => node.textContent()).toContain('Send Mon–Fri 09:00–17:00');
    const panel = page.getByTestId('node-panel');
    const fieldErrors = () => panel.locator('.field-error').allTextContents();

    // No day at all.
    for (const day of ['mon', 'tue', 'wed', 'thu', 'fri']) await page.getByTestId(`window-day-${day}`).uncheck();
    await panel.getByText('tick at least one day on which emails may go out').waitFor();
    // Closing before opening, and a zone that is not one.
    await page.getByTestId('window-from').fill('18:00');
    await page.getByTestId('window-zone').fill('Mars/Olympus');
    await panel.getByText('"Mars/Olympus" is not a time zone; choose one such as Europe/Berlin or America/New_York').waitFor();
    const errors = await fieldErrors();
    expect(errors).toHaveLength(3);
    expect(errors.join('\n')).toMatch(/make "Until" \(17:00\) later than "From" \(18:00\)/);
    await expect(node.getAttribute('class')).resolves.toContain('has-error');

    // Fixed: weekends 10:00–12:00 in New York, spread.
    await page.getByTestId('window-day-sat').check();
    await page.getByTestId('window-day-sun').check();
    await page.getByTestId('window-from').fill('10:00');
    await page.getByTestId('window-to').fill('12:00');
    await page.getByTestId('window-zone').fill('America/New_York');
    await page.getByTestId('window-randomize').check();
    await expect.poll(fieldErrors).toEqual([]);
    await expect.poll(() => node.textContent()).toContain('Send Sat, Sun 10:00–12:00');
    await saved(page);

    const flow = (await product.admin.api<FlowResponse>('GET', '/api/flows/welcome')).data;
    const graph = FlowGraph.parse(flow.graph);
    const window = graph.nodes.find((n) => n.type === 'sendWindow');
    expect(window?.data).toEqual({ days: ['sat', 'sun'], from: '10:00', to: '12:00', timeZone: 'America/New_York', randomize: true });
    // Into the chain: the Delay leads to the window, the window to the email.
    expect(graph.edges.some((e) => e.source === 'wait' && e.target === window?.id)).toBe(true);
    expect(graph.edges.some((e) => e.source === window?.id && e.target === 'welcome')).toBe(true);

    await page.getByTestId('publish-flow').click();
    await expect.poll(() => page.getByTestId('published-version').textContent()).toMatch(/Published version \d+/);
    await browser.close();
  });
});
