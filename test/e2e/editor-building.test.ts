/**
 * Building a flow fast in a real browser: steps dragged from the palette onto the canvas or into a
 * connection, connections dropped on a node's body or on empty canvas (which asks which step to add),
 * connecting two steps from the keyboard, and where new steps go: never over another step, the picker
 * in view at every edge of the canvas, tidy layout with branches side by side.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowGraph } from '../../domain/flow/schema';
import { conditionFlow } from '../condition-flows';
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

/** Trigger → Delay → Send Email → Exit, one under the other. */
const chain: FlowGraph = {
  schemaVersion: 1,
  nodes: [
    { id: 'trigger', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'audience' } },
    { id: 'wait', type: 'delay', position: { x: 0, y: 140 }, data: { mode: 'fixed', amount: 1, unit: 'days' } },
    { id: 'welcome', type: 'sendEmail', position: { x: 0, y: 280 }, data: { profileId: 'sandbox', subject: 'Welcome', text: 'Hi {{name}}' } },
    { id: 'done', type: 'exit', position: { x: 0, y: 420 }, data: {} },
  ],
  edges: [
    { id: 'e-trigger-wait', source: 'trigger', target: 'wait' },
    { id: 'e-wait-welcome', source: 'wait', target: 'welcome' },
    { id: 'e-welcome-done', source: 'welcome', target: 'done' },
  ],
};

/** Every pair of steps whose boxes on the screen cover each other, as "id/id". */
async function overlapping(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const boxes = [...document.querySelectorAll('.react-flow__node')].map((n) => ({ id: n.getAttribute('data-id'), r: n.getBoundingClientRect() }));
    const found: string[] = [];
    for (const [i, a] of boxes.entries())
      for (const b of boxes.slice(i + 1))
        if (a.r.left < b.r.right && b.r.left < a.r.right && a.r.top < b.r.bottom && b.r.top < a.r.bottom) found.push(`${a.id}/${b.id}`);
    return found;
  });
}

/** The node's outputs that something else covers: what the mouse would grab there is not the dot itself. */
async function coveredOutputs(page: Page, id: string): Promise<string[]> {
  return node(page, id).evaluate((element) =>
    [...element.querySelectorAll('.react-flow__handle.source')].flatMap((handle) => {
      const r = handle.getBoundingClientRect();
      const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      return top?.closest('.react-flow__handle') === handle ? [] : [handle.getAttribute('data-handleid') ?? 'out'];
    }),
  );
}

/** A connection's path on the screen, as points along it. */
async function wirePoints(page: Page, edgeId: string): Promise<{ x: number; y: number }[]> {
  return page.locator(`.react-flow__edge[data-id="${edgeId}"] path.react-flow__edge-path`).evaluate((element) => {
    const p = element as SVGPathElement;
    const m = p.getScreenCTM();
    if (!m) throw new Error('no transform');
    const length = p.getTotalLength();
    return Array.from({ length: 41 }, (_, i) => {
      const at = p.getPointAtLength((length * i) / 40);
      return { x: at.x * m.a + at.y * m.c + m.e, y: at.x * m.b + at.y * m.d + m.f };
    });
  });
}

type Point = { x: number; y: number };
const side = (p: Point, q: Point, r: Point) => Math.sign((q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x));
/** Two polylines cross when any two of their segments do (touching does not count). */
function wiresCross(a: Point[], b: Point[]): boolean {
  for (let i = 1; i < a.length; i++)
    for (let j = 1; j < b.length; j++) {
      const [p, q, r, s] = [a[i - 1], a[i], b[j - 1], b[j]] as [Point, Point, Point, Point];
      if (side(p, q, r) * side(p, q, s) < 0 && side(r, s, p) * side(r, s, q) < 0) return true;
    }
  return false;
}

describe('placing steps', () => {
  it('keeps the picker in view at every edge, makes room for steps dropped on connections and outputs, and tidies branches without crossing', async () => {
    await product.admin.api('PUT', '/api/flows/placing', { name: 'Placing', graph: chain });
    const browser = await product.logIn(admin, '/flows/placing');
    const { page } = browser;
    await node(page, 'done').waitFor({ timeout: 60_000 });

    // The picker opened by a connection let go at each edge of the canvas is wholly in view, every choice with it.
    const pane = await box(page.locator('.react-flow__pane'));
    const viewport = page.viewportSize() ?? { width: 0, height: 0 };
    const corners = [
      { x: pane.x + 12, y: pane.y + 12 },
      { x: pane.x + pane.width - 12, y: pane.y + 12 },
      { x: pane.x + 120, y: pane.bottom - 12 },
      { x: pane.x + pane.width - 12, y: pane.bottom - 12 },
    ];
    for (const corner of corners) {
      await drag(page, await middle(outHandle(page, 'wait')), corner);
      const picker = page.getByTestId('step-picker');
      await picker.waitFor();
      await page.getByTestId('pick-cancel').waitFor();
      const shown = await box(picker);
      expect(shown.x).toBeGreaterThanOrEqual(Math.max(0, pane.x));
      expect(shown.y).toBeGreaterThanOrEqual(Math.max(0, pane.y));
      expect(shown.x + shown.width).toBeLessThanOrEqual(Math.min(viewport.width, pane.x + pane.width));
      expect(shown.bottom).toBeLessThanOrEqual(Math.min(viewport.height, pane.bottom));
      const cancel = await box(page.getByTestId('pick-cancel'));
      expect(cancel.bottom).toBeLessThanOrEqual(shown.bottom);
      await page.keyboard.press('Escape');
      await picker.waitFor({ state: 'detached' });
    }

    // A Condition dropped on the connection Trigger → Delay goes in the middle, and the steps below make room.
    await drag(
      page,
      await middle(page.getByTestId('add-condition')),
      await edgeMiddle(page.locator('.react-flow__edge[data-id="e-trigger-wait"] path.react-flow__edge-path')),
    );
    const condition = page.locator('.react-flow__node-condition');
    await condition.waitFor();
    const conditionId = (await condition.getAttribute('data-id')) ?? '';
    await expect.poll(() => overlapping(page)).toEqual([]);

    // A Send Email dropped on the connection of its first branch goes below it, clear of its outputs.
    const firstBranch = page.locator(`.react-flow__edge[data-id^="e-${conditionId}-"]`);
    await expect.poll(() => firstBranch.count()).toBe(1);
    await drag(page, await middle(page.getByTestId('add-sendEmail')), await edgeMiddle(firstBranch.locator('path.react-flow__edge-path')));
    await expect.poll(() => page.locator('.react-flow__node-sendEmail').count()).toBe(2);
    await expect.poll(() => overlapping(page)).toEqual([]);
    await expect.poll(() => coveredOutputs(page, conditionId)).toEqual([]);

    // A connection from the Otherwise output let go just below it draws a wire (it does not move the
    // Condition) and opens the picker; the Send Email picked there goes beside the first branch's step.
    // (Measured against the Trigger, in its widths: the view itself may pan or zoom meanwhile.)
    const offset = async () => {
      const [c, t] = [await box(condition), await box(node(page, 'trigger'))];
      return { x: Math.round(((c.x - t.x) / t.width) * 100), y: Math.round(((c.y - t.y) / t.width) * 100) };
    };
    const before = await offset();
    const otherwiseDot = node(page, conditionId).getByTestId('branch-handle-otherwise');
    const dot = await middle(otherwiseDot);
    await drag(page, dot, { x: dot.x + 10, y: dot.y + 25 });
    await page.getByTestId('pick-sendEmail').click();
    await expect.poll(() => page.locator('.react-flow__node-sendEmail').count()).toBe(3);
    expect(await offset()).toEqual(before);
    await expect.poll(() => overlapping(page)).toEqual([]);
    await expect.poll(() => coveredOutputs(page, conditionId)).toEqual([]);

    // A Send Email dropped on the Otherwise output goes after it, in the middle of its connection, covering nothing.
    await drag(page, await middle(page.getByTestId('add-sendEmail')), await middle(otherwiseDot));
    await expect.poll(() => page.locator('.react-flow__node-sendEmail').count()).toBe(4);
    await expect.poll(() => page.locator(`.react-flow__edge[data-id^="e-${conditionId}-otherwise-"]`).count()).toBe(1);
    await expect.poll(() => overlapping(page)).toEqual([]);
    await expect.poll(() => coveredOutputs(page, conditionId)).toEqual([]);

    // Tidy layout: the branches side by side in the order of their outputs; their wires do not cross.
    await page.getByTestId('tidy-layout').click();
    await expect.poll(() => overlapping(page)).toEqual([]);
    const graph = await savedGraph(page, 'placing');
    const branches = graph.edges.filter((e) => e.source === conditionId);
    expect(branches.map((e) => e.sourceHandle)).toEqual(expect.arrayContaining(['b1', 'otherwise']));
    const x = (id: string) => graph.nodes.find((n) => n.id === id)?.position.x ?? Number.NaN;
    const [first, otherwise] = ['b1', 'otherwise'].map((h) => branches.find((e) => e.sourceHandle === h)) as [
      (typeof branches)[0],
      (typeof branches)[0],
    ];
    expect(x(first.target)).toBeLessThan(x(otherwise.target));
    expect(wiresCross(await wirePoints(page, first.id), await wirePoints(page, otherwise.id))).toBe(false);

    // A saved flow whose Condition has three outputs, all its steps in one spot: tidied, no two branch wires cross.
    const vip = (id: string, value: string) => ({
      id,
      label: value,
      test: { kind: 'attributes', filter: { match: 'all', rules: [{ field: 'plan', op: 'equals', value }] } },
    });
    const three = conditionFlow({
      profileId: 'sandbox',
      branches: [vip('gold', 'gold'), vip('silver', 'silver')] as never,
      otherwiseSubject: 'Others',
    });
    await product.admin.api('PUT', '/api/flows/three-branches', { name: 'Three branches', graph: three });
    await page.goto(`${product.web}/flows/three-branches`);
    await node(page, 'split').waitFor({ timeout: 60_000 });
    await page.getByTestId('tidy-layout').click();
    await expect.poll(() => overlapping(page)).toEqual([]);
    await saved(page);
    const wires = await Promise.all(['e-split-gold', 'e-split-silver', 'e-split-otherwise'].map((id) => wirePoints(page, id)));
    for (const [i, a] of wires.entries()) for (const b of wires.slice(i + 1)) expect(wiresCross(a, b)).toBe(false);
    const left = async (id: string) => (await box(node(page, id))).x;
    expect(await left('exit-gold')).toBeLessThan(await left('exit-silver'));
    expect(await left('exit-silver')).toBeLessThan(await left('send-otherwise'));
    await browser.close();
  });
});
