/**
 * The A/B split in the editor, in a real browser: a handle labelled with each branch's name and share,
 * percentages that do not add up to 100 named at their field until fixed, names and shares saved as
 * typed, and a branch added with its own handle (named as unconnected until it is connected).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowGraph } from '../../domain/flow/schema';
import type { FlowResponse } from '../../web/lib/api-types';
import { HALVES, splitFlow } from '../split-flows';
import { admin, Product, saved } from './product';

let product: Product;
beforeAll(async () => {
  product = await Product.start('ab-split');
});
afterAll(async () => {
  await product?.stop();
});

describe('the A/B split in the editor', () => {
  it('shows a handle per branch with its share, names a total other than 100 at the field, and saves names and shares', async () => {
    await product.admin.api('PUT', '/api/flows/ab', { name: 'Subject test', graph: splitFlow('sandbox', HALVES) });
    const browser = await product.logIn(admin, '/flows/ab');
    const { page } = browser;
    await page.goto(`${product.web}/flows/ab`);
    const node = page.getByTestId('node-split');
    await node.waitFor({ timeout: 60_000 });
    await page.getByTestId('flow-ok').waitFor();
    await expect.poll(() => node.textContent()).toMatch(/A 50%.*B 50%/);
    await expect(page.locator('[data-testid="branch-handle-a"], [data-testid="branch-handle-b"]').count()).resolves.toBe(2);

    await node.click();
    await page.getByTestId('split-percent-0').fill('70');
    const panel = page.getByTestId('node-panel');
    await panel.getByText("the branches' percentages add up to 120; make them add up to 100").waitFor();
    expect(await page.getByTestId('split-total').textContent()).toBe('Total: 120%');
    await page.getByTestId('split-percent-1').fill('30');
    await page.getByTestId('split-label-1').fill('Short subject');
    await page.getByTestId('flow-ok').waitFor();
    await expect.poll(() => node.textContent()).toMatch(/A 70%.*Short subject 30%/);
    await saved(page);
    const stored = FlowGraph.parse((await product.admin.api<FlowResponse>('GET', '/api/flows/ab')).data.graph);
    const ab = stored.nodes.find((n) => n.id === 'ab');
    expect(ab?.type === 'split' && ab.data.branches).toEqual([
      { id: 'a', label: 'A', percent: 70 },
      { id: 'b', label: 'Short subject', percent: 30 },
    ]);

    // A third branch gets its own handle, and is named as unconnected until it is connected.
    await page.getByTestId('add-split-branch').click();
    await page.locator('[data-testid="branch-handle-c"]').waitFor();
    await panel.getByText("Branch 'C' is not connected; connect it to a step or to an Exit").waitFor();
    await browser.close();
  });
});
