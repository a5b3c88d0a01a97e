/**
 * Issue 23's abandoned cart on the real product, drawn in a real browser: a Wait until added from the
 * palette ("purchased" with the same cart_id, at most 3 seconds) with its two labelled outputs, and the
 * flow's goal (the same purchase) set on the Trigger. Then the events API: a contact who buys at once
 * gets nothing and converts at the Wait until; one who does not gets the reminder, then buys during the
 * day's Delay and gets no "Last chance", converting there; the flow's conversions count one at each step.
 */
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowGraph } from '../../domain/flow/schema';
import { SANDBOX_PROFILE_ID } from '../../domain/senders';
import type { FlowConversions } from '../../server/conversions';
import type { ApiKeyCreated, EventAnswer, FlowPublished, FlowResponse, SandboxMessageList } from '../../web/lib/api-types';
import { admin, connect, eventually, Product, saved } from './product';

let product: Product;
beforeAll(async () => {
  product = await Product.start('abandoned-cart');
});
afterAll(async () => {
  await product?.stop();
});

const at = (x: number, y: number) => ({ x, y });
const send = (id: string, subject: string, x: number, y: number) => ({
  id,
  type: 'sendEmail',
  position: at(x, y),
  data: { profileId: SANDBOX_PROFILE_ID, subject, text: 'Hi {{name}}, your cart is waiting. {{ unsubscribe_url }}' },
});
/** Everything but the Wait until, which the test adds in the editor: the reminders, and an Exit for those who bought. */
const start = {
  schemaVersion: 1,
  nodes: [
    { id: 'trigger', type: 'trigger', position: at(200, 0), data: { source: 'event', event: 'cart_updated', reentry: 'always' } },
    { id: 'bought', type: 'exit', position: at(0, 320), data: {} },
    send('remind', 'You left something in your cart', 400, 320),
    { id: 'day', type: 'delay', position: at(400, 440), data: { mode: 'fixed', amount: 1, unit: 'days' } },
    send('last', 'Last chance', 400, 560),
    { id: 'done', type: 'exit', position: at(400, 680), data: {} },
  ],
  edges: [
    { id: 'e-remind', source: 'remind', target: 'day' },
    { id: 'e-day', source: 'day', target: 'last' },
    { id: 'e-last', source: 'last', target: 'done' },
  ],
};

async function mailTo(address: string) {
  const mail = (await product.admin.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data;
  return mail.filter((m) => m.envelopeTo.toLowerCase().includes(address)).map((m) => m.subject);
}

describe('the abandoned cart', () => {
  it('is drawn with a Wait until and a goal, reminds only those who did not buy, and stops as soon as they buy', async () => {
    await product.admin.api('PUT', '/api/flows/cart', { name: 'Abandoned cart', graph: start });
    const browser = await product.logIn(admin, '/flows/cart');
    const { page } = browser;
    await page.getByTestId('node-trigger').waitFor({ timeout: 60_000 });

    // The Wait until from the palette: two labelled outputs.
    await page.getByTestId('add-waitUntil').click();
    const wait = page.getByTestId('node-waitUntil');
    await wait.waitFor();
    await expect.poll(() => wait.textContent()).toMatch(/Event came.*Timed out/);
    await wait.click();
    const panel = page.getByTestId('node-panel');
    await page.getByTestId('wait-until-event').fill('purchased');
    await page.getByTestId('wait-until-add-filter').click();
    await page.getByTestId('wait-until-filter-0-property').fill('cart_id');
    expect(await page.getByTestId('wait-until-filter-0-op').inputValue()).toBe('sameAsEntry');
    await page.getByTestId('wait-until-max').fill('3');
    await page.getByTestId('wait-until-unit').selectOption('seconds');
    await expect.poll(() => wait.textContent()).toMatch(/purchased where cart_id as on entry.*at most 3 seconds/);
    // A bad event name is named at its field.
    await page.getByTestId('wait-until-event').fill('purchased now');
    await panel.getByText('name the event: letters, digits', { exact: false }).waitFor();
    await page.getByTestId('wait-until-event').fill('purchased');

    await connect(page, '.react-flow__node[data-id="trigger"] .react-flow__handle.source', '.react-flow__node-waitUntil .react-flow__handle.target');
    await connect(page, '[data-testid="branch-handle-met"]', '.react-flow__node[data-id="bought"] .react-flow__handle.target');
    await connect(page, '[data-testid="branch-handle-timedOut"]', '.react-flow__node[data-id="remind"] .react-flow__handle.target');

    // The goal, in the Trigger's settings.
    await page.getByTestId('node-trigger').click();
    await page.getByTestId('goal-on').check();
    await page.getByTestId('goal-event').fill('purchased');
    await page.getByTestId('goal-add-filter').click();
    await page.getByTestId('goal-filter-0-property').fill('cart_id');
    await page.getByTestId('flow-ok').waitFor();
    await saved(page);
    await browser.close();

    const graph = FlowGraph.parse((await product.admin.api<FlowResponse>('GET', '/api/flows/cart')).data.graph);
    const sameCart = { event: 'purchased', where: [{ property: 'cart_id', op: 'sameAsEntry' }] };
    const trigger = graph.nodes.find((n) => n.type === 'trigger');
    expect(trigger?.type === 'trigger' && trigger.data.goal).toEqual(sameCart);
    const waitNode = graph.nodes.find((n) => n.type === 'waitUntil');
    expect(waitNode?.data).toEqual({ until: { kind: 'event', match: sameCart }, maxWait: 3, unit: 'seconds' });
    expect(
      graph.edges
        .filter((e) => e.source === waitNode?.id)
        .map((e) => `${e.sourceHandle}→${e.target}`)
        .sort(),
    ).toEqual(['met→bought', 'timedOut→remind']);
    expect((await product.admin.api<FlowPublished>('POST', '/api/flows/cart/publish')).status).toBe(200);

    const { key } = (await product.admin.api<ApiKeyCreated>('POST', '/api/api-keys', { name: 'Shop' })).data;
    let n = 0;
    const event = async (name: string, email: string, cart: string) => {
      const res = await fetch(`${product.web}/api/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ event: name, email, attributes: { cart_id: cart }, idempotencyKey: `k${++n}` }),
      });
      expect(res.status).toBe(202);
      return (await res.json()) as EventAnswer;
    };

    // Buys at once: the goal ends the journey in the Wait until; no mail.
    await event('cart_updated', 'buyer@example.test', 'c-1');
    await event('purchased', 'buyer@example.test', 'c-1');
    // Does not buy: the reminder after the longest wait, then buys during the day's Delay.
    const browsing = await event('cart_updated', 'browser@example.test', 'c-2');
    await eventually('the reminder', async () => (await mailTo('browser@example.test')).includes('You left something in your cart'));
    // The purchase comes once the journey is in the day's Delay (its timer started), not while the reminder's send is still being recorded.
    const connection = await Connection.connect({ address: `127.0.0.1:${product.ports.temporal}` });
    try {
      const journey = new Client({ connection }).workflow.getHandle(browsing.journeys[0]?.workflowId ?? '');
      await eventually('the journey in the Delay', async () => {
        const { events } = await journey.fetchHistory();
        return (events ?? []).some((e) => Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds ?? 0) >= 3600) || undefined;
      });
    } finally {
      await connection.close();
    }
    await event('purchased', 'browser@example.test', 'c-2');
    // Counted per step, as GET /api/flows/:id/conversions says: one in the Wait until, one in the Delay.
    const converted = await eventually('both journeys converted', async () => {
      const answer = (await product.admin.api<FlowConversions>('GET', '/api/flows/cart/conversions')).data;
      return answer.converted === 2 ? answer : undefined;
    });
    const byNode = Object.fromEntries(converted.steps.map((s) => [s.nodeId, s]));
    expect(byNode.day).toMatchObject({ step: 'Delay “Wait 1 day”', converted: 1 });
    expect(byNode[waitNode?.id ?? '']).toMatchObject({
      step: expect.stringMatching(/^Wait until “"purchased where cart_id as on entry"/),
      converted: 1,
    });
    expect(converted.steps).toHaveLength(2);
    expect(await mailTo('buyer@example.test')).toEqual([]);
    expect(await mailTo('browser@example.test')).toEqual(['You left something in your cart']);
  });
});
