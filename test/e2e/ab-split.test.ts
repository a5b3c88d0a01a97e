/**
 * The A/B split in the editor, in a real browser: a handle labelled with each branch's name and share,
 * percentages that do not add up to 100 named at their field until fixed, names and shares saved as
 * typed, and a branch added with its own handle (named as unconnected until it is connected). On the
 * same stack, the Webhook step: added from the palette with its Succeeded and Failed handles, a URL
 * that is not http(s) named at its field, and the flow's signing secret shown on request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowGraph } from '../../domain/flow/schema';
import type { FlowResponse } from '../../web/lib/api-types';
import { HALVES, splitFlow } from '../split-flows';
import { CONTACT_BODY, webhookFlow } from '../webhook-flows';
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

describe('the Webhook in the editor', () => {
  it('is added from the palette with a Succeeded and a Failed handle, names a URL that is not http(s) at its field, and shows the flow’s secret', async () => {
    const graph = webhookFlow('https://hooks.example.com/in', CONTACT_BODY);
    graph.nodes = graph.nodes.filter((n) => n.type === 'trigger' || n.id === 'sent');
    graph.edges = [{ id: 'e-trigger', source: 'trigger', target: 'sent' }];
    await product.admin.api('PUT', '/api/flows/hooked', { name: 'Tell the CRM', graph });
    const browser = await product.logIn(admin, '/flows/hooked');
    const { page } = browser;
    await page.getByTestId('node-exit').waitFor({ timeout: 60_000 });
    await page.getByTestId('add-webhook').click();
    const node = page.getByTestId('node-webhook');
    await node.waitFor();
    await expect(page.locator('[data-testid="branch-handle-success"], [data-testid="branch-handle-failure"]').count()).resolves.toBe(2);

    await node.click();
    const panel = page.getByTestId('node-panel');
    await page.getByTestId('webhook-url').fill('ftp://files.example.com/drop');
    await panel.getByText('enter an http:// or https:// URL without a login in it, e.g. https://example.com/hooks/dripline').waitFor();
    await page.getByTestId('webhook-url').fill('https://crm.example.com/hooks/dripline');
    await expect.poll(() => node.textContent()).toMatch(/POST to https:\/\/crm\.example\.com\/hooks\/dripline/);
    await panel.getByText('enter an http:// or https:// URL', { exact: false }).waitFor({ state: 'detached' });
    // With a valid URL the graph's connections are checked: each output is named in the panel until it is connected.
    await panel.getByText("Branch 'Failed' is not connected; connect it to a step or to an Exit").waitFor();

    await page.getByTestId('webhook-show-secret').click();
    const secret = await page.getByTestId('webhook-secret').inputValue();
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect((await product.admin.api<{ secret: string }>('GET', '/api/flows/hooked/webhook-secret')).data.secret).toBe(secret);
    await saved(page);
    const stored = FlowGraph.parse((await product.admin.api<FlowResponse>('GET', '/api/flows/hooked')).data.graph);
    expect(stored.nodes.find((n) => n.type === 'webhook')?.data).toMatchObject({ url: 'https://crm.example.com/hooks/dripline' });
    await browser.close();
  });
});
