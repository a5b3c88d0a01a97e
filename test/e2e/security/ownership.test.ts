/**
 * Ownership in one workspace, over HTTP against the real product: an agent sees and changes only their
 * own flows and the runs they may see (404 for the rest, as if they did not exist), their delivery logs
 * and sandbox messages only; the SMTP user name shows only to who manages the profile; and a test email
 * goes through the profile's daily cap and into the delivery log like any send.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ContactDeliveries,
  FlowCreated,
  FlowPublished,
  FlowResponse,
  FlowSaved,
  RunStarted,
  SandboxMessageList,
  SmtpCheck,
  SmtpProfileCreated,
  SmtpProfileList,
  SmtpProfileResponse,
  TestEmailList,
} from '../../../web/lib/api-types';
import { agentA, agentB, gmailLikeProfile, Product, type Session, sendGraph, settledRun } from '../product';

let product: Product;
let sessionA: Session;
let sessionB: Session;

/** What agent A's campaign left behind: none of it may reach agent B. */
const secretSubject = 'Private plans of agent A';
const secretFlowName = "Agent A's private flow";
let flowA: string;
let runA: string;
let profileA: string;

beforeAll(async () => {
  product = await Product.start('security/ownership');
  await product.createAgent(agentA);
  await product.createAgent(agentB);
  sessionA = await product.signIn(agentA);
  sessionB = await product.signIn(agentB);

  // Agent A: a private profile (with a login), a flow sending with it, published and run for Ada.
  profileA = await product.agentLoginProfile(sessionA, 'A private Gmail');
  flowA = (await sessionA.api<FlowCreated>('POST', '/api/flows', { name: secretFlowName })).data.id;
  expect(
    (await sessionA.api<FlowSaved>('PUT', `/api/flows/${flowA}`, { name: secretFlowName, graph: sendGraph(profileA, secretSubject) })).status,
  ).toBe(200);
  const published = await sessionA.api<FlowPublished>('POST', `/api/flows/${flowA}/publish`);
  const started = await sessionA.api<RunStarted>('POST', '/api/runs', {
    flowId: flowA,
    version: published.data.version,
    contactIds: ['ct_ada'],
    idempotencyKey: 'shared-key',
  });
  expect(started.status).toBe(201);
  runA = started.data.runId;
  const settled = await settledRun(sessionA, runA);
  expect(settled.attempts[0]?.smtpReply).toMatch(/^250 /);
});

afterAll(async () => {
  await product?.stop();
});

/** A page as the browser gets it, with this session's cookie: its status and HTML. */
async function page(session: Session, path: string): Promise<{ status: number; html: string }> {
  const res = await fetch(`${product.web}${path}`, { headers: { cookie: session.cookie }, redirect: 'manual' });
  return { status: res.status, html: await res.text() };
}

describe('flows belong to their owner', () => {
  it("keeps agent B out of agent A's flow: no reading, overwriting, taking its id or publishing it", async () => {
    expect((await sessionA.api<FlowResponse>('GET', `/api/flows/${flowA}`)).data.name).toBe(secretFlowName);
    const read = await sessionB.api('GET', `/api/flows/${flowA}`);
    expect(read.status).toBe(404);
    expect(read.text).not.toContain(secretFlowName);

    const overwrite = await sessionB.api('PUT', `/api/flows/${flowA}`, { name: 'Taken over', graph: sendGraph('sandbox', 'Hijacked') });
    expect(overwrite.status).toBe(404);
    // The sample flow is the first admin's: an agent cannot write under its id either.
    expect((await sessionB.api('PUT', '/api/flows/welcome', { name: 'Mine now', graph: sendGraph('sandbox', 'Hijacked') })).status).toBe(404);
    const after = (await sessionA.api<FlowResponse>('GET', `/api/flows/${flowA}`)).data;
    expect(after.name).toBe(secretFlowName);
    expect(JSON.stringify(after.graph)).toContain(secretSubject);
    expect((await product.admin.api<FlowResponse>('GET', '/api/flows/welcome')).data.name).toBe('Welcome series');

    expect((await sessionB.api('POST', `/api/flows/${flowA}/publish`)).status).toBe(404);
    expect((await sessionB.api('POST', '/api/runs', { flowId: flowA, version: 1, contactIds: ['ct_ada'] })).status).toBe(404);

    // A new id is B's own flow; admins see and manage everyone's.
    expect((await sessionB.api<FlowSaved>('PUT', '/api/flows/b-own-flow', { name: 'B own', graph: sendGraph('sandbox', 'B hello') })).status).toBe(
      200,
    );
    expect((await sessionA.api('GET', '/api/flows/b-own-flow')).status).toBe(404);
    expect((await product.admin.api<FlowResponse>('GET', `/api/flows/${flowA}`)).data.name).toBe(secretFlowName);

    // The pages say the same: B's flow list and editor know nothing of A's flow.
    const list = await page(sessionB, '/flows');
    expect(list.status).toBe(200);
    expect(list.html).toContain('B own');
    expect(list.html).not.toContain(secretFlowName);
    expect((await page(sessionB, `/flows/${flowA}`)).status).toBe(404);
    expect((await page(sessionB, `/flows/${flowA}/run`)).status).toBe(404);
    expect((await page(sessionA, '/flows')).html).toContain(secretFlowName);
  });
});

describe('runs and delivery logs are scoped', () => {
  it("answers 404 for agent A's run, its recipients, delivery log and controls to agent B", async () => {
    for (const path of [`/api/runs/${runA}`, `/api/runs/${runA}/recipients`, `/api/runs/${runA}/attempts`]) {
      const answer = await sessionB.api('GET', path);
      expect(answer.status, path).toBe(404);
      expect(answer.text).not.toContain(secretSubject);
      expect((await sessionA.api('GET', path)).status, path).toBe(200);
    }
    for (const action of ['pause', 'resume', 'cancel', 'resend']) {
      expect((await sessionB.api('POST', `/api/runs/${runA}/${action}`)).status, action).toBe(404);
    }
    const runsOfB = await sessionB.api<{ id: string }[]>('GET', '/api/runs');
    expect(runsOfB.data.map((r) => r.id)).not.toContain(runA);
    expect(runsOfB.text).not.toContain(secretFlowName);
    expect((await sessionA.api<{ id: string }[]>('GET', '/api/runs')).data.map((r) => r.id)).toContain(runA);
    expect((await product.admin.api<{ id: string }[]>('GET', '/api/runs')).data.map((r) => r.id)).toContain(runA);

    expect((await page(sessionB, `/runs/${runA}`)).status).toBe(404);
    expect((await page(sessionB, '/runs')).html).not.toContain(secretFlowName);
    expect((await page(sessionA, `/runs/${runA}`)).status).toBe(200);
  });

  it("does not hand agent B agent A's run through A's idempotency key", async () => {
    const mine = await sessionB.api<FlowPublished>('POST', '/api/flows/b-own-flow/publish');
    expect(mine.status).toBe(200);
    const started = await sessionB.api<RunStarted>('POST', '/api/runs', {
      flowId: 'b-own-flow',
      version: mine.data.version,
      contactIds: ['ct_grace'],
      idempotencyKey: 'shared-key',
    });
    expect(started.status).toBe(201);
    expect(started.data.runId).not.toBe(runA);
    await settledRun(sessionB, started.data.runId);
  });

  it("shows agent B none of A's sends in a contact's delivery history, nor their replies", async () => {
    const ofA = (await sessionA.api<ContactDeliveries>('GET', '/api/contacts/ct_ada/deliveries')).data;
    const aRows = ofA.deliveries.filter((d) => d.runId === runA);
    expect(aRows.length).toBeGreaterThan(0);
    const ofB = await sessionB.api<ContactDeliveries>('GET', '/api/contacts/ct_ada/deliveries');
    expect(ofB.data.contact.email).toBe('ada@example.test');
    expect(ofB.data.deliveries.map((d) => d.runId)).not.toContain(runA);
    for (const row of aRows) expect(ofB.text).not.toContain(row.messageId);
    expect((await product.admin.api<ContactDeliveries>('GET', '/api/contacts/ct_ada/deliveries')).data.deliveries.map((d) => d.runId)).toContain(
      runA,
    );

    const contactPage = await page(sessionB, '/contacts/ct_ada');
    expect(contactPage.status).toBe(200);
    expect(contactPage.html).not.toContain(secretFlowName);
    expect(contactPage.html).not.toContain(runA);
  });

  it('shows agents only their own sends in the sandbox mailbox, and lets only admins empty it', async () => {
    const ofA = (await sessionA.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data;
    expect(ofA.map((m) => m.subject)).toContain(secretSubject);
    const ofB = await sessionB.api<SandboxMessageList>('GET', '/api/sandbox/messages');
    expect(ofB.data.map((m) => m.subject)).toContain('B hello');
    expect(ofB.text).not.toContain(secretSubject);
    expect((await page(sessionB, '/sandbox')).html).not.toContain(secretSubject);

    const cleared = await sessionB.api('DELETE', '/api/sandbox/messages');
    expect(cleared.status).toBe(403);
    expect(cleared.error.code).toBe('admin_only');
    const all = (await product.admin.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data;
    expect(all.map((m) => m.subject)).toEqual(expect.arrayContaining([secretSubject, 'B hello']));
    expect((await product.admin.api('DELETE', '/api/sandbox/messages')).status).toBe(200);
    expect((await product.admin.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data).toEqual([]);
  });
});

describe('SMTP profiles', () => {
  it('shows the SMTP user name only to who manages the profile, not to agents it is shared with', async () => {
    const token = 'postmark-server-token-1f2e3d4c';
    const shared = {
      ...gmailLikeProfile(product, 'Postmark shared'),
      host: 'smtp.postmarkapp.com',
      port: 587,
      requireTls: true,
      username: token,
      password: token,
      sharedWith: [sessionB.userId],
    };
    const id = (await product.admin.api<SmtpProfileCreated>('POST', '/api/smtp-profiles', shared)).data.id;
    expect((await product.admin.api<SmtpProfileResponse>('GET', `/api/smtp-profiles/${id}`)).data.username).toBe(token);

    const one = await sessionB.api<SmtpProfileResponse>('GET', `/api/smtp-profiles/${id}`);
    expect(one.data.canManage).toBe(false);
    expect(one.data.username).toBe('');
    expect(one.text).not.toContain(token);
    const list = await sessionB.api<SmtpProfileList>('GET', '/api/smtp-profiles');
    expect(list.data.profiles.map((p) => p.id)).toContain(id);
    expect(list.text).not.toContain(token);
    for (const path of ['/settings/smtp', `/settings/smtp/${id}`, '/flows/b-own-flow']) {
      const shown = await page(sessionB, path);
      expect(shown.status, path).toBe(200);
      expect(shown.html, path).not.toContain(token);
    }
    // Its owner (an agent) manages their own profile, and sees its user name.
    expect((await sessionA.api<SmtpProfileResponse>('GET', `/api/smtp-profiles/${profileA}`)).data.username).toBe('me@gmail.test');
  });

  it("meters Send test email like any send: the profile's daily cap, the ledger and the delivery log", async () => {
    const capped = { ...gmailLikeProfile(product, 'Capped at one a day'), dailyCap: 1, sharedWith: [sessionB.userId] };
    const id = (await product.admin.api<SmtpProfileCreated>('POST', '/api/smtp-profiles', capped)).data.id;
    const first = await product.admin.api<SmtpCheck>('POST', `/api/smtp-profiles/${id}/test-email`, { to: 'inbox@example.test' });
    expect(first.data).toMatchObject({ ok: true });
    const second = await sessionB.api<SmtpCheck>('POST', `/api/smtp-profiles/${id}/test-email`, { to: 'inbox@example.test' });
    expect(second.data.ok).toBe(false);
    expect(second.data.message).toMatch(/daily cap of 1/);
    expect(
      (await product.admin.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data.filter((m) => /Capped at one/.test(m.subject)),
    ).toHaveLength(1);

    // The delivery log has both: the admin (who manages it) sees both, agent B only their own.
    const log = (await product.admin.api<TestEmailList>('GET', `/api/smtp-profiles/${id}/test-email`)).data.items;
    expect(log.map((t) => t.outcome)).toEqual(['failed', 'sent']);
    expect(log[1]?.smtpReply).toMatch(/^250 /);
    expect(log[1]?.messageId).toMatch(/^<[0-9a-f]{32}@gmail\.test>$/);
    const ofB = (await sessionB.api<TestEmailList>('GET', `/api/smtp-profiles/${id}/test-email`)).data.items;
    expect(ofB.map((t) => [t.outcome, t.sentBy])).toEqual([['failed', sessionB.userId]]);

    // The pace campaigns share counts it: the profile page shows the day's one accepted message.
    const settings = await page(product.admin, `/settings/smtp/${id}`);
    expect(settings.html).toMatch(/1 accepted today/);
  });
});
