/**
 * The events API on the real product: API keys (made once, stored hashed, revoked), an event that
 * starts a journey whose message the sandbox receives, idempotency keys, re-entry "once ever",
 * unsubscribed contacts, bad bodies, and the OpenAPI description.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_PROFILE_ID } from '../../domain/senders';
import type { FlowGraph } from '../../domain/flow/schema';
import type {
  ApiKeyCreated,
  ApiKeyList,
  ApiErrorBody,
  ContactDeliveries,
  ContactResponse,
  EventAnswer,
  FlowCreated,
  FlowPublished,
  FlowResponse,
  SandboxMessageList,
  SandboxMessageView,
} from '../../web/lib/api-types';
import { tempDir } from '../helpers';
import { admin, eventually, Product, saved } from './product';

let product: Product;

beforeAll(async () => {
  // A small burst and a slow refill, so the rate test reaches the limit however slow the machine; the other tests send fewer.
  product = await Product.start('events', { DRIPLINE_EVENTS_PER_SECOND: '1', DRIPLINE_EVENTS_BURST: '30' });
});

afterAll(async () => {
  await product?.stop();
});

/** A flow that a contact enters on the event, and that mails them once. */
function eventGraph(event: string, subject: string, reentry?: 'once' | 'one_at_a_time' | 'always'): FlowGraph {
  return {
    schemaVersion: 1,
    nodes: [
      { id: 't', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'event', event, ...(reentry ? { reentry } : {}) } },
      {
        id: 's',
        type: 'sendEmail',
        position: { x: 0, y: 100 },
        data: { profileId: SANDBOX_PROFILE_ID, subject, text: 'Hi {{name}}, plan {{plan}}' },
      },
      { id: 'x', type: 'exit', position: { x: 0, y: 200 }, data: {} },
    ],
    edges: [
      { id: 'e1', source: 't', target: 's' },
      { id: 'e2', source: 's', target: 'x' },
    ],
  };
}

async function sendEvent(key: string | undefined, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${product.web}/api/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    json: (await res.json()) as unknown,
    replayed: res.headers.get('idempotent-replayed'),
    retryAfter: res.headers.get('retry-after'),
  };
}

async function messagesTo(address: string, subject: string) {
  const mail = (await product.admin.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data;
  return mail.filter((m) => m.envelopeTo.toLowerCase().includes(address) && m.subject.startsWith(subject));
}

describe('events API', () => {
  it('takes events with a hashed API key, starts one journey per idempotency key, and keeps re-entry "once ever"', async () => {
    const api = product.admin;
    // The key is shown once; the list and the database never hold it.
    const created = await api.api<ApiKeyCreated>('POST', '/api/api-keys', { name: 'Signup form' });
    expect(created.status).toBe(201);
    const { key, apiKey } = created.data;
    expect(key).toMatch(/^dk_[A-Za-z0-9_-]{43}$/);
    const listed = await api.api<ApiKeyList>('GET', '/api/api-keys');
    expect(listed.text).not.toContain(key);
    expect(listed.data.apiKeys.find((k) => k.id === apiKey.id)).toMatchObject({ name: 'Signup form', createdBy: api.userId, lastUsedAt: null });
    const db = new Database(path.join(product.dataDir, 'dripline.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM api_keys').all() as Record<string, unknown>[];
      expect(rows).toHaveLength(1);
      expect(rows[0]?.key_hash).toBe(createHash('sha256').update(key).digest('hex'));
      expect(JSON.stringify(rows)).not.toContain(key);
    } finally {
      db.close();
    }

    // A flow listening to "signed_up" (re-entry left at its default, once ever).
    const flowId = (await api.api<FlowCreated>('POST', '/api/flows', { name: 'Events: welcome' })).data.id;
    expect((await api.api('PUT', `/api/flows/${flowId}`, { name: 'Events: welcome', graph: eventGraph('signed_up', 'Welcome aboard') })).status).toBe(
      200,
    );
    const version = (await api.api<FlowPublished>('POST', `/api/flows/${flowId}/publish`)).data.version;

    // No key, a made-up key: 401 naming the header.
    const event = {
      event: 'signed_up',
      email: 'Event.Person@example.test',
      name: 'Eve Event',
      attributes: { plan: 'pro', seats: 3 },
      idempotencyKey: 'signup-1',
    };
    expect((await sendEvent(undefined, event)).status).toBe(401);
    expect((await sendEvent('dk_not-a-real-key', event)).status).toBe(401);

    // The event creates the contact and starts the journey; the sandbox receives the message.
    const first = await sendEvent(key, event);
    expect(first.status).toBe(202);
    const answer = first.json as EventAnswer;
    expect(answer).toMatchObject({ event: 'signed_up', contactCreated: true });
    expect(answer.journeys).toEqual([{ flowId, version, status: 'started', workflowId: expect.stringMatching(/^event:/) }]);
    const contact = (await api.api<ContactResponse>('GET', `/api/contacts/${answer.contactId}`)).data;
    expect(contact).toMatchObject({ email: 'Event.Person@example.test', name: 'Eve Event', attributes: { plan: 'pro', seats: 3 } });
    const [message] = await eventually('the journey to send its message', async () => {
      const found = await messagesTo('event.person@example.test', 'Welcome aboard');
      return found.length > 0 ? found : undefined;
    });
    // The mailbox lists summaries; a message's text comes when it is opened.
    expect((await api.api<SandboxMessageView>('GET', `/api/sandbox/messages/${message?.id}`)).data.text).toContain('Hi Eve Event, plan pro');
    // The contact's delivery history names the flow the event started.
    const history = await eventually('the delivery to be logged', async () => {
      const found = (await api.api<ContactDeliveries>('GET', `/api/contacts/${answer.contactId}/deliveries`)).data.deliveries;
      return found.some((d) => d.outcome === 'sent') ? found : undefined;
    });
    expect(history.find((d) => d.outcome === 'sent')).toMatchObject({
      flowName: 'Events: welcome',
      flowVersion: version,
      workflowId: answer.journeys[0]?.workflowId,
    });
    // Temporal lists the journey by its search attributes (flow, contact, run, and the outcome it ended with).
    const connection = await Connection.connect({ address: `127.0.0.1:${product.ports.temporal}` });
    try {
      const query = `DriplineFlow = "${flowId}" AND DriplineContact = "${answer.contactId}" AND DriplineOutcome = "completed"`;
      const listed = await eventually('the journey listed by its outcome', async () => {
        const ids: string[] = [];
        for await (const w of new Client({ connection }).workflow.list({ query })) ids.push(w.workflowId);
        return ids.length > 0 ? ids : undefined;
      });
      expect(listed).toEqual([answer.journeys[0]?.workflowId]);
    } finally {
      await connection.close();
    }

    // The same key and body again (the key in the header this time): the first answer, nothing new started.
    const again = await sendEvent(key, { ...event, idempotencyKey: undefined }, { 'idempotency-key': 'signup-1' });
    expect(again.status).toBe(202);
    expect(again.replayed).toBe('true');
    expect(again.json).toEqual(answer);
    // A new key for the same contact: "once ever" refuses, and says so.
    const reentry = await sendEvent(key, { ...event, idempotencyKey: 'signup-2' });
    expect((reentry.json as EventAnswer).journeys).toEqual([{ flowId, version, status: 'refused', reason: expect.stringMatching(/once ever/) }]);

    // A later contact's message arrives after the repeats were answered; the first contact still has one message.
    const later = await sendEvent(key, { event: 'signed_up', email: 'later@example.test', idempotencyKey: 'signup-3' });
    expect((later.json as EventAnswer).journeys[0]?.status).toBe('started');
    await eventually('the later contact to be mailed', async () =>
      (await messagesTo('later@example.test', 'Welcome aboard')).length > 0 ? true : undefined,
    );
    expect(await messagesTo('event.person@example.test', 'Welcome aboard')).toHaveLength(1);

    // The flow's report counts its journeys by version and day (2 started, 2 accepted), and Runs lists the flow.
    const browser = await product.logIn({ email: 'admin@dripline.local', password: 'admin-password-e2e' }, '/runs');
    try {
      const { page } = browser;
      await page.getByTestId(`journey-flow-${flowId}`).getByRole('link', { name: 'Report' }).click();
      await page.waitForURL(/\/report$/);
      const row = page.getByTestId(`journey-day-${version}-${new Date().toISOString().slice(0, 10)}`);
      await expect
        .poll(
          async () => {
            await page.reload();
            return row.locator('td').allTextContents();
          },
          { timeout: 30_000 },
        )
        .toEqual([expect.any(String), `v${version}`, '2', '2', '0', '0']);
      await page.getByTestId('step-canvas').waitFor();
    } finally {
      await browser.close();
    }

    // An unsubscribed contact enters no flow; the answer says why.
    expect((await api.api('PATCH', `/api/contacts/${answer.contactId}`, { status: 'unsubscribed' })).status).toBe(200);
    const unsubscribed = await sendEvent(key, { ...event, idempotencyKey: 'signup-4' });
    expect((unsubscribed.json as EventAnswer).journeys).toEqual([
      { flowId, version, status: 'refused', reason: expect.stringMatching(/unsubscribed/) },
    ]);

    // Bad bodies: 400 naming the field; an attribute of the wrong type: 422 naming it.
    const noEmail = await sendEvent(key, { event: 'signed_up', idempotencyKey: 'x' });
    expect(noEmail.status).toBe(400);
    expect((noEmail.json as ApiErrorBody).error).toMatchObject({
      message: expect.stringMatching(/^email: email is required/),
      details: { field: 'email' },
    });
    const badEvent = await sendEvent(key, { event: 'signed up!', email: 'a@example.test', idempotencyKey: 'x' });
    expect((badEvent.json as ApiErrorBody).error.details).toMatchObject({ field: 'event' });
    const noKey = await sendEvent(key, { event: 'signed_up', email: 'a@example.test' });
    expect(noKey.status).toBe(400);
    expect((noKey.json as ApiErrorBody).error.details).toMatchObject({ field: 'idempotencyKey' });
    const wrongType = await sendEvent(key, { event: 'signed_up', email: 'later@example.test', attributes: { seats: 'many' }, idempotencyKey: 'x' });
    expect(wrongType.status).toBe(422);
    expect((wrongType.json as ApiErrorBody).error.details).toMatchObject({ field: 'attributes.seats' });
    const brokenJson = await fetch(`${product.web}/api/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{"event":',
    });
    expect(brokenJson.status).toBe(400);

    // Used: the list says when. Revoked: 401 from now on.
    expect((await api.api<ApiKeyList>('GET', '/api/api-keys')).data.apiKeys[0]?.lastUsedAt).not.toBeNull();
    expect((await api.api('DELETE', `/api/api-keys/${apiKey.id}`)).status).toBe(204);
    const revoked = await sendEvent(key, { ...event, idempotencyKey: 'signup-5' });
    expect(revoked.status).toBe(401);
    expect((revoked.json as ApiErrorBody).error.code).toBe('invalid_api_key');
  });

  it('starts one journey for one key sent five times at once; "always" lets a contact in again, "one at a time" waits for the journey to end', async () => {
    const api = product.admin;
    const { key } = (await api.api<ApiKeyCreated>('POST', '/api/api-keys', { name: 'Concurrency' })).data;
    const publish = async (name: string, graph: FlowGraph) => {
      const id = (await api.api<FlowCreated>('POST', '/api/flows', { name })).data.id;
      expect((await api.api('PUT', `/api/flows/${id}`, { name, graph })).status).toBe(200);
      return { id, version: (await api.api<FlowPublished>('POST', `/api/flows/${id}/publish`)).data.version };
    };
    const always = await publish('Events: always', eventGraph('order.paid', 'Thanks for your order', 'always'));
    // One at a time: the journey waits an hour before its message, so it is still running when the next event comes.
    const slow = eventGraph('order.paid', 'Your order, an hour later', 'one_at_a_time');
    slow.nodes.splice(1, 0, { id: 'd', type: 'delay', position: { x: 0, y: 50 }, data: { mode: 'fixed', amount: 1, unit: 'hours' } });
    slow.edges = [
      { id: 'e1', source: 't', target: 'd' },
      { id: 'e0', source: 'd', target: 's' },
      { id: 'e2', source: 's', target: 'x' },
    ];
    const oneAtATime = await publish('Events: one at a time', slow);

    const body = { event: 'order.paid', email: 'buyer@example.test', idempotencyKey: 'order-1' };
    const answers = await Promise.all(Array.from({ length: 5 }, () => sendEvent(key, body)));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    const journeys = (flowId: string) => answers.map((a) => (a.json as EventAnswer).journeys.find((j) => j.flowId === flowId));
    // Each flow: one request started the journey; the others found it, or (once it had answered) got its answer again.
    for (const flow of [always, oneAtATime]) {
      expect(journeys(flow.id).map((j) => j?.status)).toContain('started');
      expect(journeys(flow.id).every((j) => j?.status === 'started' || j?.status === 'duplicate')).toBe(true);
      expect(new Set(journeys(flow.id).map((j) => j?.workflowId)).size).toBe(1);
    }
    expect(new Set(answers.map((a) => (a.json as EventAnswer).contactId)).size).toBe(1);

    // A second order: "always" starts another journey; "one at a time" refuses while the first waits.
    const second = (await sendEvent(key, { ...body, idempotencyKey: 'order-2' })).json as EventAnswer;
    expect(second.journeys.find((j) => j.flowId === always.id)?.status).toBe('started');
    expect(second.journeys.find((j) => j.flowId === oneAtATime.id)).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/one at a time/),
    });
    // Another API key's order-1 is another order: its idempotency keys are its own.
    const otherKey = (await api.api<ApiKeyCreated>('POST', '/api/api-keys', { name: 'Other shop' })).data.key;
    const other = (await sendEvent(otherKey, body)).json as EventAnswer;
    const otherAlways = other.journeys.find((j) => j.flowId === always.id);
    expect(otherAlways?.status).toBe('started');
    expect(otherAlways?.workflowId).not.toBe(journeys(always.id)[0]?.workflowId);
    const mail = await eventually('three order messages', async () => {
      const found = await messagesTo('buyer@example.test', 'Thanks for your order');
      return found.length >= 3 ? found : undefined;
    });
    // Three events, three messages: the five requests with order-1 sent one.
    expect(mail).toHaveLength(3);
  });

  it("caps attributes (422), binds idempotency keys to their body (409; a replay does not write the contact) and limits each key's rate (429)", async () => {
    const key = (await product.admin.api<ApiKeyCreated>('POST', '/api/api-keys', { name: 'Limits' })).data.key;
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`attr_${i}`, i]));
    const capped = await sendEvent(key, { event: 'limits', email: 'limits@example.test', attributes: many, idempotencyKey: 'cap-1' });
    expect(capped.status).toBe(422);
    expect((capped.json as ApiErrorBody).error).toMatchObject({
      code: 'too_many_attributes',
      message: expect.stringMatching(/at most 100 attributes/),
    });

    const pro = { event: 'limits', email: 'limits@example.test', attributes: { plan: 'pro' } };
    const first = await sendEvent(key, pro, { 'idempotency-key': 'limits-1' });
    expect(first.status).toBe(202);
    const clash = await sendEvent(key, { ...pro, attributes: { plan: 'team' } }, { 'idempotency-key': 'limits-1' });
    expect(clash.status).toBe(409);
    expect((clash.json as ApiErrorBody).error.code).toBe('idempotency_key_reused');
    expect((await sendEvent(key, { ...pro, attributes: { plan: 'free' } }, { 'idempotency-key': 'limits-2' })).status).toBe(202);
    const replay = await sendEvent(key, pro, { 'idempotency-key': 'limits-1' });
    expect(replay).toMatchObject({ status: 202, replayed: 'true', json: first.json });
    const contactId = (first.json as EventAnswer).contactId;
    expect((await product.admin.api<ContactResponse>('GET', `/api/contacts/${contactId}`)).data.attributes).toEqual({ plan: 'free' });

    // All at once, so they fall within the burst however slow the machine; a bad body still counts.
    const answers = await Promise.all(Array.from({ length: 60 }, () => sendEvent(key, { event: 'limits' })));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([400, 429]));
    const limited = answers.find((a) => a.status === 429);
    expect(Number(limited?.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((limited?.json as ApiErrorBody | undefined)?.error).toMatchObject({
      code: 'rate_limited',
      message: expect.stringMatching(/1 events a second/),
    });
  });

  it('serves the OpenAPI description, linked from the API keys page, where a new key shows once', async () => {
    const res = await fetch(`${product.web}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = JSON.parse(await res.text()) as {
      openapi: string;
      paths: Record<string, { post?: { requestBody?: unknown; responses?: Record<string, unknown> } }>;
      components: { schemas: { EventRequest: { required: string[]; properties: Record<string, unknown> } } };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(['/api/v1/events']);
    expect(Object.keys(doc.paths['/api/v1/events']?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(['202', '400', '401', '409', '422', '429']),
    );
    expect(doc.components.schemas.EventRequest.required).toEqual(['event', 'email', 'idempotencyKey']);
    expect(Object.keys(doc.components.schemas.EventRequest.properties)).toEqual([
      'event',
      'email',
      'name',
      'attributes',
      'properties',
      'idempotencyKey',
    ]);

    const browser = await product.logIn({ email: 'admin@dripline.local', password: 'admin-password-e2e' }, '/settings/api-keys');
    const { page } = browser;
    await expect(page.getByTestId('openapi-link').getAttribute('href')).resolves.toBe('/api/v1/openapi.json');
    await page.getByTestId('api-key-name').fill('Browser key');
    await page.getByTestId('create-api-key').click();
    const shown = (await page.getByTestId('api-key-created').textContent()) ?? '';
    expect(shown).toMatch(/^dk_/);
    await page.getByText('Browser key').first().waitFor();
    await page.reload();
    await page.getByTestId('api-keys').getByText('Browser key').waitFor();
    expect(await page.content()).not.toContain(shown);

    // The editor's Trigger takes the event name (a problem until it has one) and the re-entry policy.
    await page.goto(`${product.web}/flows/welcome`);
    await page.getByTestId('node-trigger').click();
    await page.getByTestId('trigger-source-event').check();
    await page.getByTestId('node-panel').getByText('name the event that starts this flow').first().waitFor();
    await page.getByTestId('trigger-event').fill('welcome.requested');
    await page.getByTestId('trigger-reentry').selectOption('always');
    await expect.poll(() => page.getByTestId('node-trigger').textContent()).toContain('"welcome.requested" (every time)');
    await saved(page);
    const flow = (await product.admin.api<FlowResponse>('GET', '/api/flows/welcome')).data;
    expect((flow.graph as FlowGraph).nodes.find((n) => n.type === 'trigger')?.data).toEqual({
      source: 'event',
      event: 'welcome.requested',
      reentry: 'always',
    });
    await browser.close();
  });

  it("runs the API page's curl command as shown, logs what each event started, and shows the message's HTML, headers and source in the sandbox", async () => {
    // Any request for a remote image (the message's tracking pixel) is counted here.
    const pixelHits: string[] = [];
    const pixel = http.createServer((req, res) => {
      pixelHits.push(req.url ?? '');
      res.end();
    });
    await new Promise<void>((resolve) => pixel.listen(0, '127.0.0.1', resolve));
    const pixelUrl = `http://127.0.0.1:${(pixel.address() as { port: number }).port}/pixel.gif`;
    const shots = tempDir('events-shots');
    try {
      // A flow with an HTML message, listening to the name the API page's example takes (the first in order).
      const graph = eventGraph('account.created', 'Your account is ready');
      const html = `<h1 style="color:#234">Welcome {{name}}</h1><p>Your account is ready.</p><img src="${pixelUrl}" alt="pixel"><script>parent.document.title = 'script ran'</script>`;
      graph.nodes = graph.nodes.map((n) => (n.type === 'sendEmail' ? { ...n, data: { ...n.data, format: 'html', html } } : n));
      const flowId = (await product.admin.api<FlowCreated>('POST', '/api/flows', { name: 'Events: account' })).data.id;
      expect((await product.admin.api('PUT', `/api/flows/${flowId}`, { name: 'Events: account', graph })).status).toBe(200);
      (await product.admin.api<FlowPublished>('POST', `/api/flows/${flowId}/publish`)).data;

      const browser = await product.logIn(admin, '/settings/api-keys');
      const { page } = browser;
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: product.web });
      expect(await page.getByTestId('api-fields').textContent()).toMatch(/idempotencyKey\s*stringyes/);
      await page.getByTestId('api-key-name').fill('Curl key');
      await page.getByTestId('create-api-key').click();
      const key = (await page.getByTestId('api-key-created').textContent()) ?? '';
      await page.getByTestId('copy-api-key').click();
      await expect.poll(() => page.getByTestId('copy-api-key').textContent()).toBe('Copied');
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
      await page.screenshot({ path: path.join(shots, 'api-page.png'), fullPage: true });

      // The command exactly as the page shows it, run by a shell.
      const command = (await page.getByTestId('api-key-curl').textContent()) ?? '';
      expect(command).toContain(`Bearer ${key}`);
      const { stdout } = await promisify(execFile)('bash', ['-c', command]);
      const answer = JSON.parse(stdout) as EventAnswer;
      expect(answer).toMatchObject({ event: 'account.created', warnings: [], journeys: [{ flowId, status: 'started' }] });

      // A typo: accepted, nothing started, and the answer says which name was meant.
      const typo = await sendEvent(key, { event: 'acount.created', email: 'ada@example.com', idempotencyKey: 'typo-1' });
      expect(typo.status).toBe(202);
      expect((typo.json as EventAnswer).warnings).toEqual([
        expect.objectContaining({ code: 'unknown_event', event: 'acount.created', didYouMean: 'account.created' }),
      ]);

      // The event log: newest first, the typo's warning, the flow the command's event started.
      await page.getByTestId('event-log-link').click();
      const rows = page.getByTestId('event-log-row');
      await rows.first().waitFor();
      expect(await rows.nth(0).textContent()).toMatch(/acount\.created.*ada@example\.com.*did you mean "account\.created"\?/);
      expect(await rows.nth(1).textContent()).toMatch(/account\.created.*ada@example\.com.*Events: account \(version 1\): started/);
      await page.screenshot({ path: path.join(shots, 'event-log.png'), fullPage: true });

      // The message in the sandbox mailbox: its HTML in a sandboxed frame, its headers, its source.
      await page.goto(`${product.web}/sandbox`);
      await eventually('the HTML message in the mailbox', async () => {
        await page.reload();
        return (await page.getByTestId('sandbox-message').filter({ hasText: 'Your account is ready' }).count()) > 0 || undefined;
      });
      await page.getByTestId('sandbox-message').filter({ hasText: 'Your account is ready' }).first().click();
      const frame = page.getByTestId('sandbox-message-html');
      await frame.waitFor();
      expect(await frame.getAttribute('sandbox')).toBe('');
      await page.frameLocator('[data-testid="sandbox-message-html"]').getByText('Welcome Ada Lovelace').waitFor();
      await page.screenshot({ path: path.join(shots, 'sandbox-html.png'), fullPage: true });
      expect(await page.title()).not.toBe('script ran');
      expect(pixelHits).toEqual([]);

      await page.getByTestId('message-tab-headers').click();
      const headers = (await page.getByTestId('sandbox-message-headers').textContent()) ?? '';
      expect(headers).toMatch(/List-Unsubscribe<http:\/\/[^>]+\/unsubscribe\//);
      expect(headers).toContain('List-Unsubscribe-PostList-Unsubscribe=One-Click');
      await page.screenshot({ path: path.join(shots, 'sandbox-headers.png'), fullPage: true });
      await page.getByTestId('message-tab-text').click();
      expect(await page.getByTestId('sandbox-message-text').textContent()).toContain('Hi Ada Lovelace');
      await page.getByTestId('message-tab-source').click();
      await expect.poll(() => page.getByTestId('sandbox-message-source').textContent()).toContain('Content-Type: multipart/alternative');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('sandbox-message-download').click()]);
      expect(download.suggestedFilename()).toMatch(/^message-\d+\.eml$/);
      const eml = readFileSync((await download.path()) ?? '', 'utf8');
      expect(eml).toMatch(/^List-Unsubscribe:\s+<http:\/\/[^>]+\/unsubscribe\//m);
      expect(eml).toContain('Subject: Your account is ready');
      await browser.close();
      console.log(`screenshots in ${shots}`);
    } finally {
      await new Promise((resolve) => pixel.close(resolve));
    }
  });
});
