/**
 * The Condition node in the editor, in a real browser: a labelled handle per branch and Otherwise, an
 * unconnected branch named at its field and fixed by connecting its handle, branches added and
 * removed with their handles, and a rule's bad value shown on its row.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowGraph } from '../../domain/flow/schema';
import type { FlowResponse } from '../../web/lib/api-types';
import { root } from '../helpers';
import { Client, Connection } from '@temporalio/client';
import type { SandboxSummary } from '../../server/db/sandbox';
import { openDatabase } from '../../server/db';
import type { FlowPublished } from '../../web/lib/api-types-flows';
import type { RunStarted } from '../../web/lib/api-types';
import { campaignWorkflowId, wakeSignal } from '../../workflows/contracts';
import { eventually } from '../helpers';
import { admin, connect, portsFor, Product, saved, settledRun } from './product';

let product: Product;
beforeAll(async () => {
  // Tracked links point where the browser reaches the app (the sandbox's message frame may go only there).
  product = await Product.start('condition', { DRIPLINE_PUBLIC_URL: `http://127.0.0.1:${portsFor('condition').web}` });
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

describe('the Condition node in the editor', () => {
  it('names an unconnected branch at its field, is fixed by connecting its handle, and adds and removes branches', async () => {
    await product.admin.api('POST', '/api/contacts', { email: 'aged@example.test', attributes: { age: 41 } });
    await product.admin.api('PUT', '/api/flows/branching', { name: 'Branching', graph });
    const browser = await product.logIn(admin, '/flows/branching');
    const { page } = browser;
    await page.goto(`${product.web}/flows/branching`);
    const node = page.getByTestId('node-condition');
    await node.waitFor({ timeout: 60_000 });
    await expect.poll(() => node.textContent()).toMatch(/VIPs.*Otherwise/);
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

    // The rules offer the attributes contacts have, typed, as the segment editor does: the number
    // attribute age gets the number operators and a number input, and "30" is saved as the number 30.
    const rule = page.getByTestId('branch-0-rule-0');
    const field = page.getByTestId('branch-0-rule-field-0');
    const op = page.getByTestId('branch-0-rule-op-0');
    const value = page.getByTestId('branch-0-rule-value-0');
    expect(await field.locator('option').allTextContents()).toEqual(['email', 'name', 'age', 'Other attribute…']);
    await field.selectOption('age');
    expect(await op.locator('option').allTextContents()).toEqual([
      'is',
      'is not',
      'is more than',
      'is at least',
      'is less than',
      'is at most',
      'is one of',
      'is none of',
      'is set',
      'is not set',
    ]);
    expect(await value.getAttribute('type')).toBe('number');
    await op.selectOption('gte');
    await value.fill('30');
    await saved(page);
    const typed = FlowGraph.parse((await product.admin.api<FlowResponse>('GET', '/api/flows/branching')).data.graph);
    const split = typed.nodes.find((n) => n.id === 'split');
    expect(split?.type === 'condition' && split.data.branches[0]?.test).toEqual({
      kind: 'attributes',
      filter: { match: 'all', rules: [{ field: 'age', op: 'gte', value: 30 }] },
    });

    // An attribute no contact has yet is typed after "Other attribute…", and named on the rule's row.
    await field.selectOption({ label: 'Other attribute…' });
    await page.getByTestId('branch-0-rule-field-name-0').fill('agee');
    await rule.getByText('no contact has an attribute named agee; choose one they have').waitFor();

    // A number comparison without a number: the message is on the rule's row, in the segment editor's words.
    await field.selectOption('age');
    await op.selectOption('gt');
    await value.fill('');
    expect(await page.getByTestId('branch-0-rule-error-0').textContent()).toBe('enter a number');
    await browser.close();
  });

  it('shows a branching flow with no problems, each branch labelled on its own handle (the README screenshot, when recorded)', async () => {
    const send = (id: string, x: number, y: number, subject: string) => ({
      id,
      type: 'sendEmail',
      position: at(x, y),
      data: { profileId: 'sandbox', subject, text: `Hi {{name}},\n\n${subject}\n` },
    });
    const branching = {
      schemaVersion: 1,
      nodes: [
        { id: 'trigger', type: 'trigger', position: at(260, 0), data: { source: 'audience' } },
        send('welcome', 260, 100, 'Welcome to Acme, {{name}}'),
        {
          id: 'split',
          type: 'condition',
          name: 'VIP or bounced?',
          position: at(260, 210),
          data: {
            branches: [
              {
                id: 'vips',
                label: 'VIPs',
                test: { kind: 'attributes', filter: { match: 'all', rules: [{ field: 'plan', op: 'equals', value: 'vip' }] } },
              },
              { id: 'bounced', label: 'Bounced', test: { kind: 'sendOutcome', sendNodeId: 'welcome', outcome: 'failed' } },
            ],
          },
        },
        send('vip', 0, 340, 'Your VIP perks'),
        { id: 'done-vip', type: 'exit', position: at(0, 460), data: {} },
        { id: 'done-bounced', type: 'exit', position: at(260, 340), data: {} },
        { id: 'wait', type: 'delay', position: at(520, 340), data: { mode: 'random', min: 1, max: 3, unit: 'days' } },
        send('reminder', 520, 440, 'Still there, {{name}}?'),
        { id: 'done', type: 'exit', position: at(520, 560), data: {} },
      ],
      edges: [
        { id: 'e1', source: 'trigger', target: 'welcome' },
        { id: 'e2', source: 'welcome', target: 'split' },
        { id: 'e3', source: 'split', target: 'vip', sourceHandle: 'vips' },
        { id: 'e4', source: 'vip', target: 'done-vip' },
        { id: 'e5', source: 'split', target: 'done-bounced', sourceHandle: 'bounced' },
        { id: 'e6', source: 'split', target: 'wait', sourceHandle: 'otherwise' },
        { id: 'e7', source: 'wait', target: 'reminder' },
        { id: 'e8', source: 'reminder', target: 'done' },
      ],
    };
    await product.admin.api('PUT', '/api/flows/vip-split', { name: 'Welcome, VIPs and bounces', graph: branching });
    const browser = await product.logIn(admin, '/flows/vip-split');
    const { page } = browser;
    await page.goto(`${product.web}/flows/vip-split`);
    await page.getByTestId('node-condition').waitFor({ timeout: 60_000 });
    await page.getByTestId('flow-ok').waitFor();
    await expect(page.locator('[data-testid^="branch-handle-"]').count()).resolves.toBe(3);
    await expect.poll(() => page.getByTestId('node-condition').textContent()).toMatch(/VIPs.*Bounced.*Otherwise/);
    await expect(page.locator('.react-flow__edge').count()).resolves.toBe(8);
    if (process.env.DRIPLINE_RECORD_SCREENSHOT === '1') {
      await page.getByTestId('node-condition').click();
      await page.setViewportSize({ width: 1400, height: 860 });
      await page.screenshot({ path: path.join(root, 'web', 'public', 'readme', 'editor-condition.png') });
    }
    await browser.close();
  });

  it('tracks a click in a sandbox message: the browser lands on the link’s target, the run page counts it, the Condition takes “Clicked”', async () => {
    const target = `${product.web}/healthz`;
    const text = (subject: string) => `Hi {{name}},\n\n${subject}\n`;
    const tracked = {
      schemaVersion: 1,
      nodes: [
        { id: 'trigger', type: 'trigger', position: at(0, 0), data: { source: 'audience' } },
        {
          id: 'sale',
          type: 'sendEmail',
          position: at(0, 100),
          data: {
            profileId: 'sandbox',
            subject: 'Sale',
            format: 'html',
            text: text(`Sale: ${target}`),
            html: `<p>Hi {{name}}, <a href="${target}">see the sale</a></p>`,
          },
        },
        { id: 'wait', type: 'delay', position: at(0, 200), data: { mode: 'fixed', amount: 1, unit: 'hours' } },
        {
          id: 'split',
          type: 'condition',
          position: at(0, 300),
          data: {
            branches: [
              { id: 'clicked', label: 'Clicked', test: { kind: 'engaged', sendNodeId: 'sale', action: 'clicked', within: 1, unit: 'days' } },
            ],
          },
        },
        { id: 'follow', type: 'sendEmail', position: at(-200, 400), data: { profileId: 'sandbox', subject: 'Follow-up', text: text('Follow-up') } },
        { id: 'end', type: 'exit', position: at(0, 500), data: {} },
      ],
      edges: [
        { id: 'e1', source: 'trigger', target: 'sale' },
        { id: 'e2', source: 'sale', target: 'wait' },
        { id: 'e3', source: 'wait', target: 'split' },
        { id: 'e4', source: 'split', target: 'follow', sourceHandle: 'clicked' },
        { id: 'e5', source: 'split', target: 'end', sourceHandle: 'otherwise' },
        { id: 'e6', source: 'follow', target: 'end' },
      ],
    };
    const api = product.admin;
    expect((await api.api('PUT', '/api/flows/tracked', { name: 'Tracked sale', graph: tracked })).status).toBe(200);
    expect((await api.api<{ enabled: boolean }>('GET', '/api/flows/tracked/tracking')).data).toEqual({ enabled: false });
    expect((await api.api('PUT', '/api/flows/tracked/tracking', { enabled: 'yes' })).error.message).toMatch(/enabled must be true/);
    expect((await api.api<{ enabled: boolean }>('PUT', '/api/flows/tracked/tracking', { enabled: true })).data).toEqual({ enabled: true });
    const version = (await api.api<FlowPublished>('POST', '/api/flows/tracked/publish')).data.version;
    const { runId } = (await api.api<RunStarted>('POST', '/api/runs', { flowId: 'tracked', version, contactIds: ['ct_ada', 'ct_grace'] })).data;
    await eventually('both sales in the sandbox', async () => {
      const mail = (await api.api<SandboxSummary[]>('GET', '/api/sandbox/messages')).data;
      return mail.filter((m) => m.subject === 'Sale').length === 2 || undefined;
    });

    // A junk token is a 404 page, never a redirect.
    const junk = await fetch(`${product.web}/t/c/not-a-token`, { redirect: 'manual' });
    expect([junk.status, junk.headers.get('location')]).toEqual([404, null]);
    // The pixel is an image whatever its token (a junk one records nothing).
    const pixel = await fetch(`${product.web}/t/o/junk.gif`);
    expect([pixel.status, pixel.headers.get('content-type'), (await pixel.arrayBuffer()).byteLength]).toEqual([200, 'image/gif', 42]);

    // Ada opens her message in the sandbox and clicks its link: through the tracked redirect to the target.
    const browser = await product.logIn(admin, '/sandbox');
    const { page } = browser;
    await page.getByTestId('sandbox-message').filter({ hasText: 'ada@example.test' }).filter({ hasText: 'Sale' }).click();
    await page.getByTestId('message-tab-html').click();
    const frame = page.frameLocator('[data-testid="sandbox-message-html"]');
    const link = frame.getByRole('link', { name: 'see the sale' });
    expect(await link.getAttribute('href')).toMatch(new RegExp(`^${product.web}/t/c/`));
    const redirected = page.waitForResponse((r) => r.url().startsWith(`${product.web}/t/c/`));
    const landed = page.waitForRequest((r) => r.url() === target);
    await link.click();
    expect([(await redirected).status(), (await redirected).headers().location]).toEqual([302, target]);
    await landed;

    // The run page counts it for the Send step and its link.
    await page.goto(`${product.web}/runs/${runId}`);
    const row = page.getByTestId('engagement-sale');
    await row.waitFor();
    expect(await row.getByTestId('unique-clicks').textContent()).toBe('1');
    expect(await page.getByTestId('engagement-links').textContent()).toContain(target);
    await browser.close();

    // The marketer's Delay ends (now, rather than in an hour), and the Condition reads the click.
    const db = await openDatabase(path.join(product.dataDir, 'dripline.db'));
    await db.updateTable('runRecipients').set({ dueAt: Date.now() }).where('runId', '=', runId).execute();
    await db.destroy();
    const connection = await Connection.connect({ address: `127.0.0.1:${product.ports.temporal}` });
    await new Client({ connection }).workflow.getHandle(campaignWorkflowId(runId)).signal(wakeSignal);
    await connection.close();
    await settledRun(api, runId);
    const mail = (await api.api<SandboxSummary[]>('GET', '/api/sandbox/messages')).data;
    expect(mail.filter((m) => m.subject === 'Follow-up').map((m) => m.envelopeTo)).toEqual(['ada@example.test']);
  });
});
