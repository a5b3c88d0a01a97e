/**
 * Building a flow fast in a real browser: steps dragged from the palette onto the canvas or into a
 * connection, connections dropped on a node's body or on empty canvas (which asks which step to add),
 * and connecting two steps from the keyboard.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowGraph } from '../../domain/flow/schema';
import type { FlowCreated, FlowResponse } from '../../web/lib/api-types';
import { admin, drag, edgeMiddle, middle, Product, saved } from './product';

let product: Product;

beforeAll(async () => {
  product = await Product.start('editor-building');
});

afterAll(async () => {
  await product?.stop();
});

async function box(locator: Locator) {
  const b = await locator.boundingBox();
  if (!b) throw new Error('not on screen');
  return { ...b, cx: b.x + b.width / 2, cy: b.y + b.height / 2, bottom: b.y + b.height };
}

const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
const outHandle = (page: Page, id: string) => node(page, id).locator('.react-flow__handle.source');

async function savedGraph(page: Page, flowId: string): Promise<FlowGraph> {
  await saved(page);
  return FlowGraph.parse((await product.admin.api<FlowResponse>('GET', `/api/flows/${flowId}`)).data.graph);
}

/** The connections as "type>type" (or id>id for the named ones), sorted. */
function links(graph: FlowGraph, name: (id: string) => string): string[] {
  return graph.edges.map((e) => `${name(e.source)}>${name(e.target)}`).sort();
}

async function newFlow(name: string): Promise<string> {
  return (await product.admin.api<FlowCreated>('POST', '/api/flows', { name })).data.id;
}

describe('building a flow with the mouse', () => {
  it('builds Trigger → Delay → Send Email → Exit by dragging from the palette and dropping connections', async () => {
    const flowId = await newFlow('Dragged flow');
    const browser = await product.logIn(admin, `/flows/${flowId}`);
    const { page } = browser;
    await node(page, 'exit').waitFor({ timeout: 60_000 });
    const trigger = await box(node(page, 'trigger'));
    const exit = await box(node(page, 'exit'));

    // A Delay dragged from the palette lands where it is dropped: between the Trigger and the Exit.
    await drag(page, await middle(page.getByTestId('add-delay')), { x: trigger.cx, y: (trigger.bottom + exit.y) / 2 });
    const delay = page.getByTestId('node-delay');
    await delay.waitFor();
    const delayId = (await page.locator('.react-flow__node-delay').getAttribute('data-id')) ?? '';
    const dropped = await box(delay);
    expect(dropped.cy).toBeGreaterThan(trigger.cy);
    expect(dropped.cy).toBeLessThan(exit.cy);

    // A connection from the Trigger dropped on the Delay's body (not its dot) connects them.
    await drag(page, await middle(outHandle(page, 'trigger')), { x: dropped.cx + 40, y: dropped.cy });
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(1);

    // A connection from the Delay dropped on empty canvas asks which step to add there, and connects it.
    const pane = await box(page.locator('.react-flow__pane'));
    const emptySpot = { x: pane.x + 130, y: dropped.bottom + 40 };
    await drag(page, await middle(outHandle(page, delayId)), emptySpot);
    await page.getByTestId('step-picker').waitFor();
    await page.getByTestId('pick-sendEmail').click();
    await page.getByTestId('step-picker').waitFor({ state: 'detached' });
    const send = page.locator('.react-flow__node-sendEmail');
    const sendId = (await send.getAttribute('data-id')) ?? '';
    const sendBox = await box(send);
    expect(Math.abs(sendBox.cx - emptySpot.x)).toBeLessThan(5);

    // And the Send Email's connection dropped on the Exit's body ends the flow.
    await drag(page, await middle(outHandle(page, sendId)), await middle(node(page, 'exit')));

    const graph = await savedGraph(page, flowId);
    const typeOf = (id: string) => graph.nodes.find((n) => n.id === id)?.type ?? id;
    expect(links(graph, typeOf)).toEqual(['delay>sendEmail', 'sendEmail>exit', 'trigger>delay']);
    await page.getByTestId('flow-ok').waitFor();

    // Escape closes the picker without adding anything.
    await drag(page, await middle(outHandle(page, 'trigger')), { x: pane.x + pane.width - 40, y: pane.y + 40 });
    await page.getByTestId('step-picker').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('step-picker').waitFor({ state: 'detached' });
    expect(await page.locator('.react-flow__node').count()).toBe(4);
    await browser.close();
  });

  it('puts a step dropped on a connection in the middle of it, and moves the steps after it down', async () => {
    const browser = await product.logIn(admin, '/flows/welcome');
    const { page } = browser;
    await node(page, 'done').waitFor({ timeout: 60_000 });
    // The middle of the connection Send Email → Exit, on the screen.
    const onEdge = await edgeMiddle(page.locator('.react-flow__edge[data-id="e-welcome-done"] path.react-flow__edge-path'));
    await drag(page, await middle(page.getByTestId('add-delay')), onEdge);
    await expect.poll(() => page.getByTestId('node-delay').count()).toBe(2);

    const graph = await savedGraph(page, 'welcome');
    const added = graph.nodes.find((n) => n.type === 'delay' && n.id !== 'wait');
    if (!added) throw new Error('no new Delay');
    const name = (id: string) => (id === added.id ? 'new' : id);
    expect(links(graph, name)).toEqual(['new>done', 'trigger>wait', 'wait>welcome', 'welcome>new']);
    const y = (id: string) => graph.nodes.find((n) => n.id === id)?.position.y ?? Number.NaN;
    expect(y('welcome')).toBeLessThan(y(added.id));
    expect(y(added.id) + 90).toBeLessThanOrEqual(y('done'));
    await page.getByTestId('flow-ok').waitFor();
    await browser.close();
  });
});

describe('connecting from the keyboard', () => {
  it('connects the selected step to another chosen from "Connect to…"', async () => {
    const flowId = await newFlow('Keyboard connection');
    const browser = await product.logIn(admin, `/flows/${flowId}`);
    const { page } = browser;
    await node(page, 'exit').waitFor({ timeout: 60_000 });
    await page.getByTestId('flow-name').focus();
    for (let i = 0; i < 40 && !(await page.evaluate(() => document.activeElement?.matches('.react-flow__node-trigger') ?? false)); i++)
      await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const select = page.getByTestId('connect-to');
    await select.focus();
    await page.keyboard.press('ArrowDown');
    await expect(select.inputValue()).resolves.toBe('exit');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('connect-to-submit');
    await page.keyboard.press('Enter');

    const graph = await savedGraph(page, flowId);
    expect(links(graph, (id) => id)).toEqual(['trigger>exit']);
    // Once connected, the Exit is no longer offered.
    await expect.poll(() => page.getByTestId('connect-to').count()).toBe(0);
    await browser.close();
  });
});
