/**
 * Encrypted history: recipient addresses, attributes and message bodies never sit in clear
 * in Temporal. A campaign and a one-off message run to completion on `npm start`'s stack; the raw
 * history the temporal CLI reads from the server (no codec) holds none of them; through the app's codec
 * endpoint (/api/temporal-codec, as the Web UI and `--codec-endpoint` use it) an admin or the codec
 * token reads them in clear, and anonymous callers, agents and other sites' pages are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContactDeliveries, ContactResponse, FlowCreated, FlowPublished, MessageQueued, RunStarted } from '../../../web/lib/api-types';
import type { Page } from 'playwright-core';
import { admin, agentA, codecToken, eventually, Product, portsFor, secrets, sendGraph, settledRun } from '../product';

let product: Product;

beforeAll(async () => {
  // The app and the UI on one host name, as npm start has them (both localhost by default): the browser
  // sends the app's cookie to the codec endpoint only then.
  product = await Product.start('security/temporal-history', {
    DRIPLINE_PUBLIC_URL: `http://127.0.0.1:${portsFor('security/temporal-history').web}`,
  });
});

afterAll(async () => {
  await product?.stop();
});

const contact = { email: 'zelda.quartermain@example.test', name: 'Zelda Quartermain' };
const campaignSubject = 'Moonlit orchard invitation for {{name}}';
const campaignText = 'Your seat is 4471-QX, {{name}}. Bring the lantern.';
const oneOff = { subject: 'Orchard seating for Zelda Quartermain', text: 'Write to zelda.backup@example.test about seat 4471-QX' };
/** What must never be readable in Temporal without the codec: the recipient, their attributes, subjects and bodies. */
const clearTexts = [
  contact.email,
  contact.name,
  'Moonlit orchard',
  'Bring the lantern',
  '4471-QX',
  'zelda.backup@example.test',
  'Orchard seating',
  // The sender's addresses from the resolved plan (the seeded Sandbox profile).
  'hello@dripline.test',
];

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** The first payload of the workflow's input, as the server stores it. */
function startInput(printed: string): JsonPayload {
  const history = JSON.parse(printed) as { events: { workflowExecutionStartedEventAttributes?: { input?: { payloads?: JsonPayload[] } } }[] };
  const payload = history.events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error('the history has no start input');
  return payload;
}

function codecCall(op: string, payloads: JsonPayload[], headers: Record<string, string>, method = 'POST') {
  return fetch(`${product.web}/api/temporal-codec/${op}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    ...(method === 'POST' ? { body: JSON.stringify({ payloads }) } : {}),
  });
}

const uiOrigin = () => `http://127.0.0.1:${product.ports.ui}`;
let campaignWorkflowId = '';
let oneOffWorkflowId = '';

describe('Temporal history', () => {
  it('runs a campaign and a one-off message to the end with nothing personal in clear in the raw history', async () => {
    const api = product.admin;
    const added = await api.api<ContactResponse>('POST', '/api/contacts', contact);
    expect(added.status, added.text).toBe(201);
    const contactId = added.data.id;

    const flow = (await api.api<FlowCreated>('POST', '/api/flows', { name: 'Orchard' })).data;
    expect(
      (await api.api('PUT', `/api/flows/${flow.id}`, { name: 'Orchard', graph: sendGraph('sandbox', campaignSubject, campaignText) })).status,
    ).toBe(200);
    const published = await api.api<FlowPublished>('POST', `/api/flows/${flow.id}/publish`);
    expect(published.status, published.text).toBe(200);
    const started = await api.api<RunStarted>('POST', '/api/runs', { flowId: flow.id, version: published.data.version, contactIds: [contactId] });
    expect(started.status, started.text).toBe(201);
    const run = await settledRun(api, started.data.runId);
    expect(run.recipients.map((r) => r.status)).toEqual(['completed']);
    campaignWorkflowId = run.recipients[0]?.workflowId ?? '';

    const sent = await api.api<MessageQueued>('POST', `/api/contacts/${contactId}/send`, oneOff);
    expect(sent.status, sent.text).toBe(202);
    oneOffWorkflowId = sent.data.workflowId;
    await eventually('the one-off message to be sent', async () => {
      const history = (await api.api<ContactDeliveries>('GET', `/api/contacts/${contactId}/deliveries`)).data;
      return history.deliveries.find((d) => d.workflowId === oneOffWorkflowId && d.outcome === 'sent');
    });

    for (const workflowId of [campaignWorkflowId, oneOffWorkflowId]) {
      const raw = product.workflowHistory(workflowId);
      expect(raw).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
      for (const clear of [...clearTexts, ...secrets]) expect(raw, `${workflowId}: "${clear}" in the raw history`).not.toContain(clear);
      // Every input is encrypted, with the id of the key that did it.
      const input = startInput(product.printedHistory(workflowId));
      expect(Buffer.from(input.metadata?.encoding ?? '', 'base64').toString()).toBe('binary/encrypted');
      expect(Buffer.from(input.metadata?.['encryption-key-id'] ?? '', 'base64').toString()).toMatch(/^[0-9a-f]{8}$/);
    }
  });

  it('reads the same histories in clear through the codec endpoint, as the temporal CLI with the codec token', () => {
    const campaign = product.workflowHistory(campaignWorkflowId, { decoded: true });
    for (const clear of ['Moonlit orchard invitation for {{name}}', 'Bring the lantern', '"profileId":"sandbox"']) expect(campaign).toContain(clear);
    const message = product.workflowHistory(oneOffWorkflowId, { decoded: true });
    for (const clear of [oneOff.subject, oneOff.text]) expect(message).toContain(clear);
    for (const secret of secrets) expect(message).not.toContain(secret);
  });

  it('decodes for a signed-in admin from the Web UI and for the token; refuses anonymous callers, agents and other sites', async () => {
    const encrypted = startInput(product.printedHistory(oneOffWorkflowId));
    const inClear = async (res: Response) => {
      const body = (await res.json()) as { payloads: JsonPayload[] };
      return Buffer.from(body.payloads[0]?.data ?? '', 'base64').toString();
    };

    // The Web UI's preflight, then its request with the admin's cookie (it includes credentials).
    const preflight = await codecCall('decode', [], { origin: uiOrigin(), 'access-control-request-method': 'POST' }, 'OPTIONS');
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(uiOrigin());
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/i);
    const asAdmin = await codecCall('decode', [encrypted], { origin: uiOrigin(), cookie: product.admin.cookie });
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.headers.get('access-control-allow-origin')).toBe(uiOrigin());
    expect(await inClear(asAdmin)).toContain(oneOff.text);

    const withToken = await codecCall('decode', [encrypted], { authorization: `Bearer ${codecToken}` });
    expect(withToken.status).toBe(200);
    expect(await inClear(withToken)).toContain(oneOff.text);

    // Refused: nobody, a wrong token, an agent, and another site's page with the admin's cookie.
    await product.createAgent(agentA);
    const agent = await product.signIn(agentA);
    const refused: { who: string; headers: Record<string, string>; status: number }[] = [
      { who: 'anonymous', headers: {}, status: 401 },
      { who: 'anonymous from the UI', headers: { origin: uiOrigin() }, status: 401 },
      { who: 'a wrong token', headers: { authorization: `Bearer ${codecToken}x` }, status: 401 },
      { who: 'an agent', headers: { cookie: agent.cookie, origin: uiOrigin() }, status: 403 },
      { who: 'another site', headers: { cookie: product.admin.cookie, origin: 'https://evil.example' }, status: 403 },
    ];
    for (const { who, headers, status } of refused) {
      const res = await codecCall('decode', [encrypted], headers);
      const text = await res.text();
      expect(res.status, `${who}: ${text}`).toBe(status);
      expect(text, who).not.toContain('4471-QX');
      expect(JSON.parse(text)).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    }
    const evilPreflight = await codecCall('decode', [], { origin: 'https://evil.example', 'access-control-request-method': 'POST' }, 'OPTIONS');
    expect(evilPreflight.headers.get('access-control-allow-origin')).toBeNull();
    // Encoding needs the same rights.
    expect((await codecCall('encode', [], {})).status).toBe(401);
  });

  it('shows the one-off message in clear in the Temporal Web UI for a signed-in admin; someone signed out is refused the UI', async () => {
    const workflowPage = `${uiOrigin()}/namespaces/default/workflows/${encodeURIComponent(oneOffWorkflowId)}`;
    // Nothing to set in the UI: the guard's settings answer has it call the codec endpoint with the admin's cookie.
    const openWithCodec = async (page: Page) => {
      const decoded = page.waitForResponse((r) => r.url().endsWith('/api/temporal-codec/decode') && r.request().method() === 'POST', {
        timeout: 60_000,
      });
      await page.goto(workflowPage);
      expect(await page.evaluate(() => [localStorage.getItem('endpoint'), localStorage.getItem('includeCredentials')])).toEqual([null, null]);
      return decoded;
    };

    const signedIn = await product.logIn(admin, '/flows');
    const answer = await openWithCodec(signedIn.page);
    expect(answer.status()).toBe(200);
    await signedIn.page.getByText('4471-QX').first().waitFor({ timeout: 60_000 });
    await signedIn.close();

    // Signed out, the UI's guard (scripts/temporal-ui-guard.ts) does not even serve the page.
    const stranger = await product.newBrowserSession();
    const refused = await stranger.page.goto(workflowPage);
    expect(refused?.status()).toBe(401);
    expect(await stranger.page.content()).toContain('Sign in');
    expect(await stranger.page.content()).not.toContain('4471-QX');
    await stranger.context.close();
  });
});
