/**
 * The flow language end to end: a preview sent to the signed-in user's own address reaches
 * the SMTP server of the node's profile (API), and, in headless Chromium, a flow with a Send window and
 * a Condition built from the palette, its unconnected branch seen and connected, an HTML email previewed
 * for a contact, published, exported and imported again.
 */
import fs from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PortableFlow } from '../../domain/flow/portable';
import { FlowGraph } from '../../domain/flow/schema';
import { SANDBOX_PROFILE_ID } from '../../domain/senders';
import type { ReceivedMessage } from '../../server/db/sandbox';
import { type SandboxSmtp, startSandboxSmtp } from '../../server/sandbox-smtp';
import type { FlowResponse, PreviewSent, SandboxMessageList, SmtpProfileCreated, TestEmailList } from '../../web/lib/api-types';
import { admin, agentA, connect, drag, edgeMiddle, eventually, middle, Product, saved, sendGraph } from './product';

let product: Product;
/** The SMTP server of the "Office relay" profile: not the sandbox, a server of its own. */
let relay: SandboxSmtp;
const relayed: ReceivedMessage[] = [];

beforeAll(async () => {
  relay = await startSandboxSmtp({ port: 0, host: '127.0.0.1', onMessage: async (m) => void relayed.push(m) });
  // The outbound guard refuses loopback servers unless an admin lists them: this relay is listed, by port.
  process.env.DRIPLINE_SMTP_ALLOWED_HOSTS = `127.0.0.1:${relay.port}`;
  product = await Product.start('flow-language');
});

afterAll(async () => {
  await product?.stop();
  await relay?.close();
});

describe('preview sent to my own address', () => {
  it("arrives at the node's profile's SMTP server addressed to the signed-in user, metered as a test email, with an unsubscribe link that names no contact", async () => {
    const api = product.admin;
    const created = await api.api<SmtpProfileCreated>('POST', '/api/smtp-profiles', {
      name: 'Office relay',
      host: '127.0.0.1',
      port: relay.port,
      fromEmail: 'news@acme.test',
      fromName: 'Acme News',
    });
    expect(created.status, created.text).toBe(201);
    const profileId = created.data.id;
    expect((await api.api('PUT', '/api/flows/me-preview', { name: 'Preview to me', graph: sendGraph(profileId) })).status).toBe(200);
    expect((await api.api('PATCH', '/api/contacts/ct_grace', { attributes: { plan: 'pro' } })).status).toBe(200);
    const node = {
      profileId,
      subject: 'Hello {{ name }}',
      text: 'Hi {{ name }}, unsubscribe: {{ unsubscribe_url }}',
      format: 'html',
      html: '<h1>Hello {{ name }}</h1><p>Plan: {{ plan }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>',
      contactId: 'ct_grace',
    };

    const sent = await api.api<PreviewSent>('POST', '/api/flows/me-preview/preview/me', node);
    expect(sent.status, sent.text).toBe(200);
    expect(sent.data).toMatchObject({ ok: true, preview: { subject: 'Hello Grace Hopper' } });
    expect(sent.data.message).toContain(admin.email);

    const message = await eventually('the preview at the relay', async () => relayed.find((m) => m.subject === 'Hello Grace Hopper'));
    expect(message.envelopeTo).toBe(admin.email);
    expect(message.envelopeFrom).toBe('news@acme.test');
    const parsed = await simpleParser(message.raw);
    expect(parsed.html).toContain('<h1>Hello Grace Hopper</h1>');
    expect(parsed.html).toContain('Plan: pro');
    // The copy's link is the inert one the preview shows, not Grace's own: clicking it in the user's mailbox unsubscribes nobody.
    const graces = (await api.api<{ unsubscribeUrl: string }>('POST', '/api/flows/me-preview/preview', node)).data.unsubscribeUrl;
    expect(sent.data.preview.unsubscribeUrl).not.toBe(graces);
    expect(message.raw.replace(/\r?\n[ \t]+/g, ' ')).toContain(`List-Unsubscribe: <${sent.data.preview.unsubscribeUrl}>`);
    expect(parsed.html).not.toContain(graces);
    // Not to the sandbox, and not to the contact.
    expect(relayed.filter((m) => m.envelopeTo.includes('grace@'))).toEqual([]);
    const sandbox = (await api.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data;
    expect(sandbox.filter((m) => m.subject === 'Hello Grace Hopper')).toEqual([]);
    // Metered like a test email of the profile: the ledger and delivery log name the recipient and the server's reply.
    const tests = (await api.api<TestEmailList>('GET', `/api/smtp-profiles/${profileId}/test-email`)).data.items;
    expect(tests).toContainEqual(expect.objectContaining({ recipient: admin.email, outcome: 'sent', smtpCode: 250 }));

    // An agent may not send with a profile they may not use, even to themselves.
    await product.createAgent(agentA);
    const agent = await product.signIn(agentA);
    expect((await agent.api('PUT', '/api/flows/agent-preview', { name: 'Agent preview', graph: sendGraph(SANDBOX_PROFILE_ID) })).status).toBe(200);
    const refused = await agent.api('POST', '/api/flows/agent-preview/preview/me', node);
    expect(refused.status).toBe(403);
    expect(relayed.filter((m) => m.envelopeTo === agentA.email)).toEqual([]);
  });
});

// ---- the browser test --------------------------------------------------------------------

const nodeBox = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);

/** Drags an element (a palette step) with the mouse and drops it at a point on the screen. */
const dragTo = async (page: Page, what: Locator, to: { x: number; y: number }) => drag(page, await middle(what), to);

/** The middle of the connection from one node to another, on the screen. */
const edgeBetween = (page: Page, source: string, target: string) =>
  edgeMiddle(page.locator(`.react-flow__edge[data-id^="e-${source}-"][data-id$="-${target}"] path.react-flow__edge-path`));

/** Tidy layout (top to bottom, the whole flow in view), then waits until these nodes stand still on screen, apart. */
async function fitted(page: Page, ids: string[]): Promise<void> {
  await page.getByTestId('tidy-layout').click();
  await settled(page, ids);
}

/** The id of the one node of this type the canvas shows after `add` added it. */
async function added(page: Page, type: string, add: () => Promise<void>): Promise<string> {
  const before = new Set(await page.locator(`.react-flow__node-${type}`).evaluateAll((els) => els.map((e) => e.getAttribute('data-id') ?? '')));
  await add();
  const id = await eventually(`a new ${type} on the canvas`, async () => {
    const ids = await page.locator(`.react-flow__node-${type}`).evaluateAll((els) => els.map((e) => e.getAttribute('data-id') ?? ''));
    return ids.find((i) => !before.has(i));
  });
  await nodeBox(page, id).waitFor();
  return id;
}

/** Waits until these nodes are on screen, apart, and no longer moving (Tidy layout animates the view). */
async function settled(page: Page, ids: string[]): Promise<void> {
  let last = '';
  await eventually('the canvas to settle', async () => {
    const boxes = await Promise.all(ids.map((id) => nodeBox(page, id).boundingBox()));
    const now = JSON.stringify(boxes);
    const still = now === last;
    last = now;
    const apart = boxes.every(
      (a, i) =>
        a && boxes.every((b, j) => i === j || !b || a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y),
    );
    return still && apart ? true : undefined;
  });
}

/** What an import must keep of a graph: every node (id, type, name, data) and connection (ends and branch). */
function shape(graph: FlowGraph) {
  return {
    nodes: graph.nodes.map((n) => ({ id: n.id, type: n.type, name: n.name, data: n.data })).sort((a, b) => a.id.localeCompare(b.id)),
    edges: graph.edges.map((e) => `${e.source}:${e.sourceHandle ?? ''}>${e.target}`).sort(),
  };
}

describe('building, previewing, publishing, exporting and importing a flow in the browser', () => {
  it('builds Trigger → Send window → Send Email → Condition (a rule and a segment) by dragging from the palette, connects the branches it names, previews the HTML, publishes, exports and imports it', async () => {
    // Grace is on the pro plan: the Condition's rule names an attribute contacts have, and the preview prints it.
    expect((await product.admin.api('PATCH', '/api/contacts/ct_grace', { attributes: { plan: 'pro' } })).status).toBe(200);
    const gold = await product.admin.api<{ id: string }>('POST', '/api/segments', {
      name: 'Gold customers',
      filter: { match: 'all', rules: [{ field: 'plan', op: 'equals', value: 'gold' }] },
    });
    expect(gold.status, gold.text).toBe(201);
    const browser = await product.logIn(admin, '/flows');
    const { page } = browser;
    await page.getByTestId('new-flow').click();
    await page.waitForURL(/\/flows\/(?!$)[^/]+$/);
    const flowId = new URL(page.url()).pathname.split('/').pop() ?? '';
    await page.getByTestId('node-trigger').waitFor({ timeout: 60_000 });

    // A new flow has a Trigger and an Exit: connect them, then drop each step from the palette onto the connection it belongs in.
    await connect(
      page,
      '.react-flow__node[data-id="trigger"] .react-flow__handle.source',
      '.react-flow__node[data-id="exit"] .react-flow__handle.target',
    );
    await page.locator('.react-flow__edge[data-id="e-trigger-exit"]').waitFor({ state: 'attached' });
    const windowId = await added(page, 'sendWindow', async () =>
      dragTo(page, page.getByTestId('add-sendWindow'), await edgeBetween(page, 'trigger', 'exit')),
    );
    await fitted(page, [windowId, 'exit']);
    const sendId = await added(page, 'sendEmail', async () =>
      dragTo(page, page.getByTestId('add-sendEmail'), await edgeBetween(page, windowId, 'exit')),
    );
    await fitted(page, [sendId, 'exit']);
    const conditionId = await added(page, 'condition', async () =>
      dragTo(page, page.getByTestId('add-condition'), await edgeBetween(page, sendId, 'exit')),
    );
    await fitted(page, [conditionId, 'exit']);

    await nodeBox(page, sendId).click();
    const panel = page.getByTestId('node-panel');
    await panel.getByLabel('Subject').fill('Hello {{ name }}');
    await page.getByTestId('send-format').selectOption('html');
    await page
      .getByTestId('send-html')
      .fill('<h1>Hello {{ name }}</h1><p class="plan">Your plan: {{ plan | default: "free" }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>');
    await nodeBox(page, conditionId).click();
    await page.getByTestId('branch-label-0').fill('Pro plan');
    await page.getByTestId('branch-0-rule-field-0').selectOption('plan');
    await page.getByTestId('branch-0-rule-op-0').selectOption('equals');
    await page.getByTestId('branch-0-rule-value-0').fill('pro');
    // A second branch on segment membership, the segment picked from those saved.
    await page.getByTestId('add-branch').click();
    await page.getByTestId('branch-label-1').fill('Gold customers');
    await page.getByTestId('branch-1-kind').selectOption('inSegment');
    await page.getByTestId('branch-1').getByLabel('Segment').selectOption({ label: 'Gold customers' });

    // Dropped on the connection, the Condition goes on by its first branch; Otherwise and the new branch lead nowhere yet, and are named so.
    const problems = page.getByTestId(`flow-error-${conditionId}`);
    const unconnected = problems.getByText("Branch 'Otherwise' is not connected; connect it to a step or to an Exit");
    const goldUnconnected = problems.getByText("Branch 'Gold customers' is not connected; connect it to a step or to an Exit");
    await unconnected.waitFor();
    await goldUnconnected.waitFor();
    await expect.poll(() => problems.textContent()).not.toContain("Branch 'Pro plan' is not connected");

    // An Exit dragged from the palette beside the Exit, and the Otherwise branch connected to it from its handle.
    const exitBox = await nodeBox(page, 'exit').boundingBox();
    const pane = await page.locator('.react-flow__pane').boundingBox();
    if (!exitBox || !pane) throw new Error('the Exit is not on screen');
    const spot = { x: Math.min(exitBox.x + exitBox.width * 1.8, pane.x + pane.width - 90), y: exitBox.y + exitBox.height / 2 };
    const otherExit = await added(page, 'exit', () => dragTo(page, page.getByTestId('add-exit'), spot));
    await fitted(page, [conditionId, 'exit', otherExit]);
    await connect(page, '[data-testid="branch-handle-otherwise"]', `.react-flow__node[data-id="${otherExit}"] .react-flow__handle.target`);
    await unconnected.waitFor({ state: 'detached' });
    await goldUnconnected.waitFor();
    await connect(page, '[data-testid="branch-handle-b2"]', `.react-flow__node[data-id="${otherExit}"] .react-flow__handle.target`);
    await goldUnconnected.waitFor({ state: 'detached' });
    await page.getByTestId('flow-ok').waitFor();
    await saved(page);

    const built = FlowGraph.parse((await product.admin.api<FlowResponse>('GET', `/api/flows/${flowId}`)).data.graph);
    expect(shape(built).edges).toEqual(
      [
        `trigger:>${windowId}`,
        `${windowId}:>${sendId}`,
        `${sendId}:>${conditionId}`,
        `${conditionId}:b1>exit`,
        `${conditionId}:b2>${otherExit}`,
        `${conditionId}:otherwise>${otherExit}`,
      ].sort(),
    );
    const condition = built.nodes.find((n) => n.id === conditionId);
    expect(condition?.type === 'condition' && condition.data.branches.map((b) => b.test)).toEqual([
      { kind: 'attributes', filter: { match: 'all', rules: [{ field: 'plan', op: 'equals', value: 'pro' }] } },
      { kind: 'inSegment', segmentId: gold.data.id },
    ]);

    // Preview the HTML email for Grace (plan "pro"): the iframe shows it rendered for her.
    await nodeBox(page, sendId).click();
    await page.getByTestId('preview-open').click();
    await page.getByTestId('preview-contact').locator('option[value="ct_grace"]').waitFor({ state: 'attached' });
    await page.getByTestId('preview-contact').selectOption('ct_grace');
    await page.getByTestId('preview-render').click();
    await expect.poll(() => page.getByTestId('preview-subject').textContent()).toBe('Hello Grace Hopper');
    const html = page.frameLocator('[data-testid="preview-html"]');
    await expect.poll(() => html.locator('h1').textContent()).toBe('Hello Grace Hopper');
    await expect.poll(() => html.locator('.plan').textContent()).toBe('Your plan: pro');
    // The HTML runs in a sandboxed frame: no scripts, no same origin.
    expect(await page.getByTestId('preview-html').getAttribute('sandbox')).toBe('');
    // Images from other sites stay blank there (the app's img-src), and the preview says so.
    expect(await page.getByTestId('preview-images-note').textContent()).toMatch(/^Images from other sites are not loaded in this preview/);
    // And "Send preview to me" sends it to the admin's own address.
    await page.getByTestId('preview-me').click();
    await expect.poll(() => page.getByTestId('preview-message').textContent()).toContain(`Sent to ${admin.email}`);

    await page.getByTestId('publish-flow').click();
    await expect.poll(() => page.getByTestId('published-version').textContent()).toContain('Published version 1');

    // Export: the file the browser downloads holds the flow as drawn (and published).
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-flow').click()]);
    const file = JSON.parse(fs.readFileSync((await download.path()) ?? '', 'utf8')) as PortableFlow;
    expect(file.schemaVersion).toBe(1);
    expect(shape(FlowGraph.parse(file.graph))).toEqual(shape(built));

    // Import it again from the flows page: a new flow with the same steps and branches.
    await page.goto(`${product.web}/flows`);
    await page.getByTestId('import-file').setInputFiles((await download.path()) ?? '');
    await page.waitForURL((url) => /^\/flows\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith(`/${flowId}`));
    const importedId = new URL(page.url()).pathname.split('/').pop() ?? '';
    await page.getByTestId('node-condition').waitFor({ timeout: 60_000 });
    await page.getByTestId('flow-ok').waitFor();
    await expect(page.locator('[data-testid^="branch-handle-"]').count()).resolves.toBe(3);
    const imported = FlowGraph.parse((await product.admin.api<FlowResponse>('GET', `/api/flows/${importedId}`)).data.graph);
    expect(shape(imported)).toEqual(shape(built));
    await browser.close();
  });
});
