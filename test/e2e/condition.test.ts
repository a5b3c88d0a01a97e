/**
 * The Condition node in the editor, in a real browser: a labelled handle per branch and Otherwise, an
 * unconnected branch named at its field and fixed by connecting its handle, branches added and
 * removed with their handles, and a rule's bad value shown on its row.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowGraph } from '../../domain/flow/schema';
import type { FlowResponse } from '../../web/lib/api-types';
import { admin, Product } from './product';

let product: Product;
beforeAll(async () => {
  product = await Product.start('condition');
});
afterAll(async () => {
  await product?.stop();
});

const at = (x: number, y: number) => ({ x, y });
const graph = {
  schemaVersion: 1,
  nodes: [
    { id: 'trigger', type: 'trigger', position: at(0, 0), data: { source: 'audience' } },
    {
      id: 'split',
      type: 'condition',
      position: at(0, 160),
      data: {
        branches: [
          {
            id: 'vips',
            label: 'VIPs',
            test: { kind: 'attributes', filter: { match: 'all', rules: [{ field: 'plan', op: 'equals', value: 'vip' }] } },
          },
        ],
      },
    },
    { id: 'exit-vips', type: 'exit', position: at(-200, 360), data: {} },
    { id: 'exit-rest', type: 'exit', position: at(250, 360), data: {} },
  ],
  edges: [
    { id: 'e-trigger-split', source: 'trigger', target: 'split' },
    { id: 'e-split-vips', source: 'split', target: 'exit-vips', sourceHandle: 'vips' },
  ],
};

async function saved(page: Page): Promise<void> {
  await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor({ timeout: 30_000 });
}

/** Drags a connection from one handle to another with the mouse, as a person does. */
async function connect(page: Page, from: string, to: string): Promise<void> {
  const a = await page.locator(from).boundingBox();
  const b = await page.locator(to).boundingBox();
  if (!a || !b) throw new Error('handle not on screen');
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
  await page.mouse.up();
}

describe('the Condition node in the editor', () => {
  it('names an unconnected branch at its field, is fixed by connecting its handle, and adds and removes branches', async () => {
    await product.admin.api('PUT', '/api/flows/branching', { name: 'Branching', graph });
    const browser = await product.logIn(admin, '/flows/branching');
    const { page } = browser;
    await page.goto(`${product.web}/flows/branching`);
    const node = page.getByTestId('node-condition');
    await node.waitFor({ timeout: 60_000 });
    await expect(node.textContent()).resolves.toMatch(/VIPs.*Otherwise/);
    await expect(page.locator('[data-testid="branch-handle-vips"], [data-testid="branch-handle-otherwise"]').count()).resolves.toBe(2);

    await node.click();
    const unconnected = page.getByTestId('node-panel').getByText("Branch 'Otherwise' is not connected; connect it to a step or to an Exit");
    await unconnected.waitFor();

    await connect(page, '[data-testid="branch-handle-otherwise"]', '.react-flow__node[data-id="exit-rest"] .react-flow__handle.target');
    await unconnected.waitFor({ state: 'detached' });
    await page.getByTestId('flow-ok').waitFor();
    await saved(page);
    const stored = FlowGraph.parse((await product.admin.api<FlowResponse>('GET', '/api/flows/branching')).data.graph);
    expect(stored.edges.find((e) => e.source === 'split' && e.target === 'exit-rest')?.sourceHandle).toBe('otherwise');

    // A new branch gets its own handle, and is named as unconnected until it is connected.
    await page.getByTestId('add-branch').click();
    await page.getByTestId('branch-label-1').fill('Beta');
    await page.locator('[data-testid="branch-handle-b2"]').waitFor();
    await page.getByTestId('node-panel').getByText("Branch 'Beta' is not connected; connect it to a step or to an Exit").waitFor();
    await connect(page, '[data-testid="branch-handle-b2"]', '.react-flow__node[data-id="exit-rest"] .react-flow__handle.target');
    await page.getByTestId('flow-ok').waitFor();
    await saved(page);
    const two = FlowGraph.parse((await product.admin.api<FlowResponse>('GET', '/api/flows/branching')).data.graph);
    expect(
      two.edges
        .filter((e) => e.source === 'split')
        .map((e) => e.sourceHandle)
        .sort(),
    ).toEqual(['b2', 'otherwise', 'vips']);

    // Removing it removes its handle and its connection.
    await page.getByTestId('branch-1').getByRole('button', { name: 'Remove branch' }).click();
    await page.locator('[data-testid="branch-handle-b2"]').waitFor({ state: 'detached' });
    await saved(page);
    const one = FlowGraph.parse((await product.admin.api<FlowResponse>('GET', '/api/flows/branching')).data.graph);
    expect(
      one.edges
        .filter((e) => e.source === 'split')
        .map((e) => e.sourceHandle)
        .sort(),
    ).toEqual(['otherwise', 'vips']);

    // A number comparison without a number: the message is on the rule's row.
    await page.getByTestId('branch-0-rule-0').getByLabel('Operator').selectOption('gt');
    await page.getByTestId('branch-0-rule-0').getByText('enter a number').waitFor();
    await browser.close();
  });
});
