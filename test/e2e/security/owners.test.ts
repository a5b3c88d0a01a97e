/**
 * Issue 20 over HTTP against the real product: segments and lists belong to their owner (another agent
 * gets 404, as for flows) and one a published flow tests is not deleted (409 naming the flow); contact
 * export and one-off messages to contacts who are not subscribed are admin permissions (the latter
 * confirmed); the app links Temporal's UI (no login of its own) for admins only; the sandbox mailbox
 * lists summaries and stays small with big messages; the Sandbox profile has a pace and a daily cap.
 */
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  FlowCreated,
  ListResponse,
  ListsResponse,
  SandboxMessageList,
  SandboxMessageView,
  SegmentResponse,
  SegmentsResponse,
  SmtpProfileResponse,
} from '../../../web/lib/api-types';
import { conditionFlow } from '../../condition-flows';
import { admin, agentA, agentB, eventually, Product, type Session, smtpLogin } from '../product';

let product: Product;
let sessionA: Session;
let sessionB: Session;
const everyone = { match: 'all', rules: [{ field: 'email', op: 'exists' }] };

beforeAll(async () => {
  product = await Product.start('security/owners');
  await product.createAgent(agentA);
  await product.createAgent(agentB);
  sessionA = await product.signIn(agentA);
  sessionB = await product.signIn(agentB);
});

afterAll(async () => {
  await product?.stop();
});

async function page(session: Session, path: string): Promise<{ status: number; html: string }> {
  const res = await fetch(`${product.web}${path}`, { headers: { cookie: session.cookie }, redirect: 'manual' });
  return { status: res.status, html: await res.text() };
}

describe('segments and lists belong to their owner', () => {
  it("keeps agent B from seeing, renaming, rewriting or deleting agent A's segment, and from changing or deleting A's list", async () => {
    const segment = (await sessionA.api<SegmentResponse>('POST', '/api/segments', { name: "A's customers", filter: everyone })).data;
    const list = (await sessionA.api<ListResponse>('POST', '/api/lists', { name: "A's list" })).data;

    expect((await sessionB.api<SegmentsResponse>('GET', '/api/segments')).data.segments.map((s) => s.id)).not.toContain(segment.id);
    expect((await sessionB.api<ListsResponse>('GET', '/api/lists')).data.lists.map((l) => l.id)).not.toContain(list.id);
    expect((await sessionB.api('GET', `/api/segments/${segment.id}`)).status).toBe(404);
    expect((await sessionB.api('PUT', `/api/segments/${segment.id}`, { name: 'Renamed by B', filter: everyone })).status).toBe(404);
    const rewrite = { name: "A's customers", filter: { match: 'all', rules: [{ field: 'email', op: 'contains', value: 'nobody' }] } };
    expect((await sessionB.api('PUT', `/api/segments/${segment.id}`, rewrite)).status).toBe(404);
    expect((await sessionB.api('DELETE', `/api/segments/${segment.id}`)).status).toBe(404);
    expect((await sessionB.api('POST', `/api/lists/${list.id}/members`, { add: ['ct_ada'], remove: [] })).status).toBe(404);
    expect((await sessionB.api('DELETE', `/api/lists/${list.id}`)).status).toBe(404);
    expect((await page(sessionB, `/contacts/segments/${segment.id}`)).status).toBe(404);

    // Nothing changed; the owner and admins still see and change them.
    expect((await sessionA.api<SegmentResponse>('GET', `/api/segments/${segment.id}`)).data).toMatchObject({
      name: "A's customers",
      filter: everyone,
    });
    expect((await product.admin.api<SegmentsResponse>('GET', '/api/segments')).data.segments.map((s) => s.id)).toContain(segment.id);
    expect((await sessionA.api<ListResponse>('POST', `/api/lists/${list.id}/members`, { add: ['ct_ada'], remove: [] })).data.members).toBe(1);
    expect((await sessionA.api('DELETE', `/api/lists/${list.id}`)).status).toBe(204);
  });

  it('refuses to delete a segment or list a published flow tests, naming the flow (409)', async () => {
    const segment = (await sessionA.api<SegmentResponse>('POST', '/api/segments', { name: 'Tested by a flow', filter: everyone })).data;
    const list = (await sessionA.api<ListResponse>('POST', '/api/lists', { name: 'Tested list' })).data;
    const flowId = (await sessionA.api<FlowCreated>('POST', '/api/flows', { name: 'Onboarding by segment' })).data.id;
    const graph = conditionFlow({
      profileId: 'sandbox',
      branches: [
        { id: 'seg', label: 'In segment', test: { kind: 'inSegment', segmentId: segment.id }, subject: 'Hi segment' },
        { id: 'lst', label: 'In list', test: { kind: 'inList', listId: list.id }, subject: 'Hi list' },
      ],
    });
    expect((await sessionA.api('PUT', `/api/flows/${flowId}`, { name: 'Onboarding by segment', graph })).status).toBe(200);
    expect((await sessionA.api('POST', `/api/flows/${flowId}/publish`)).status).toBe(200);

    for (const session of [sessionA, product.admin]) {
      const refused = await session.api('DELETE', `/api/segments/${segment.id}`);
      expect(refused.status).toBe(409);
      expect(refused.error.message).toContain('"Onboarding by segment"');
      const refusedList = await session.api('DELETE', `/api/lists/${list.id}`);
      expect(refusedList.status).toBe(409);
      expect(refusedList.error.message).toContain('"Onboarding by segment"');
    }
    expect((await sessionA.api('GET', `/api/segments/${segment.id}`)).status).toBe(200);
  });
});

describe('admin permissions over contacts', () => {
  it('answers an agent 403 for the contact export and hides its button; an admin exports', async () => {
    const refused = await sessionA.api('GET', '/api/contacts/export');
    expect(refused.status).toBe(403);
    expect(refused.text).not.toContain('ada@example.test');
    expect((await page(sessionA, '/contacts')).html).not.toContain('data-testid="export-contacts"');
    const exported = await fetch(`${product.web}/api/contacts/export`, { headers: { cookie: product.admin.cookie } });
    expect(exported.status).toBe(200);
    expect(await exported.text()).toContain('ada@example.test');
    expect((await page(product.admin, '/contacts')).html).toContain('data-testid="export-contacts"');
  });

  it('sends a one-off message to an unsubscribed contact only for an admin who confirms it', async () => {
    expect((await product.admin.api('PATCH', '/api/contacts/ct_linus', { status: 'unsubscribed' })).status).toBe(200);
    const message = { subject: 'Your invoice', text: 'Hello {{name}}' };
    const byAgent = await sessionA.api('POST', '/api/contacts/ct_linus/send', { ...message, confirmUnsubscribed: true });
    expect(byAgent.status).toBe(403);
    const unconfirmed = await product.admin.api('POST', '/api/contacts/ct_linus/send', message);
    expect(unconfirmed.status).toBe(409);
    expect(unconfirmed.error).toMatchObject({ code: 'contact_unsubscribed', details: { field: 'confirmUnsubscribed' } });
    expect(unconfirmed.error.message).toContain('linus@example.test is unsubscribed');
    expect((await product.admin.api('POST', '/api/contacts/ct_linus/send', { ...message, confirmUnsubscribed: true })).status).toBe(202);
    // The form asks first: Send stays off until the admin ticks the confirmation.
    const browser = await product.logIn(admin, '/contacts/ct_linus');
    await browser.page.getByTestId('oneoff-subject').fill('Your receipt');
    await browser.page.getByTestId('oneoff-text').fill('Hello {{name}}');
    expect(await browser.page.getByTestId('oneoff-send').isDisabled()).toBe(true);
    await browser.page.getByTestId('oneoff-confirm-unsubscribed').locator('input').check();
    expect(await browser.page.getByTestId('oneoff-send').isDisabled()).toBe(false);
    await browser.close();
    // A subscribed contact needs no confirmation.
    expect((await product.admin.api('POST', '/api/contacts/ct_grace/send', message)).status).toBe(202);
  });
});

describe("Temporal's UI", () => {
  it('is linked for admins only', async () => {
    const agent = await page(sessionA, '/flows');
    expect(agent.status).toBe(200);
    expect(agent.html).not.toContain('temporal-ui-link');
    expect(agent.html).not.toContain(`http://127.0.0.1:${product.ports.ui}`);
    expect((await page(product.admin, '/flows')).html).toContain('temporal-ui-link');
  });
});

describe('the sandbox', () => {
  it('lists summaries: two 1 MB messages keep the list and the page small, and a message loads when opened', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: product.ports.smtp,
      secure: false,
      ignoreTLS: true,
      auth: { user: smtpLogin.user, pass: smtpLogin.password },
    });
    const big = 'Large body line.\n'.repeat(64 * 1024); // 1 MB
    for (const n of [1, 2]) {
      await transport.sendMail({ from: 'hello@dripline.test', to: 'big@example.test', subject: `Big message ${n}`, text: big });
    }
    transport.close();
    const list = await eventually('both big messages to be stored', async () => {
      const answer = await product.admin.api<SandboxMessageList>('GET', '/api/sandbox/messages');
      return answer.data.filter((m) => m.subject.startsWith('Big message')).length === 2 ? answer : undefined;
    });
    expect(list.text.length).toBeLessThan(50_000);
    expect(list.text).not.toContain('Large body line.');
    const first = list.data.find((m) => m.subject === 'Big message 1');
    expect(first?.size).toBeGreaterThan(1024 * 1024);
    const mailbox = await page(product.admin, '/sandbox');
    expect(mailbox.html).toContain('Big message 2');
    expect(mailbox.html.length).toBeLessThan(200_000);
    expect(mailbox.html).not.toContain('Large body line.');

    // In the browser: opening a row loads that message, and nothing else the page got carries a body.
    const browser = await product.logIn(admin, '/sandbox');
    await browser.page.getByTestId('sandbox-message').filter({ hasText: 'Big message 1' }).click();
    await expect.poll(() => browser.page.getByTestId('sandbox-message-text').textContent()).toContain('Large body line.');
    // Its source loads when its tab is chosen, and the page shows only the start of a source this big.
    await browser.page.getByTestId('message-tab-source').click();
    await browser.page.getByText(/^The first 500,000 characters of 1,\d{3},\d{3}: download the \.eml for all of it\.$/).waitFor();
    expect((await browser.page.getByTestId('sandbox-message-source').textContent())?.length).toBe(500_000);
    const withBody = (await browser.close()).filter((r) => r.body.includes('Large body line.')).map((r) => new URL(r.url).pathname);
    expect(new Set(withBody)).toEqual(new Set([`/api/sandbox/messages/${first?.id}`, `/api/sandbox/messages/${first?.id}/raw`]));

    const opened = await product.admin.api<SandboxMessageView>('GET', `/api/sandbox/messages/${first?.id}`);
    expect(opened.data.text).toContain('Large body line.');
    // An agent opens only their own sends' messages.
    expect((await sessionB.api('GET', `/api/sandbox/messages/${first?.id}`)).status).toBe(404);
    // So is its source: the admin downloads it, the agent gets 404.
    const source = await product.admin.api('GET', `/api/sandbox/messages/${first?.id}/raw`);
    expect(source.status).toBe(200);
    expect(source.text).toMatch(/^Subject: Big message 1$/m);
    expect((await sessionB.api('GET', `/api/sandbox/messages/${first?.id}/raw`)).status).toBe(404);
    expect((await product.admin.api('GET', '/api/sandbox/messages/not-a-number')).status).toBe(404);
  });

  it('gives the built-in Sandbox profile a pace and a daily cap, as settings an admin may change', async () => {
    expect((await product.admin.api<SmtpProfileResponse>('GET', '/api/smtp-profiles/sandbox')).data).toMatchObject({
      ratePerSecond: 50,
      dailyCap: 10_000,
    });
  });
});
