/** An agent's one-off message to a contact: sent with their default profile, shown in the contact's delivery history. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ContactDeliveries,
  FlowPublished,
  RunStarted,
  SandboxMessageList,
  SmtpProfileCreated,
  SmtpProfileList,
  SmtpProfileResponse,
  SmtpProfileSaved,
} from '../../web/lib/api-types';
import { agentC, gmailLikeProfile, Product, profileInput, secrets, settledRun } from './product';

let product: Product;

beforeAll(async () => {
  product = await Product.start('one-off');
});

afterAll(async () => {
  await product?.stop();
});

describe('one-off messages', () => {
  it("sends an agent's one-off message with their default profile, and shows it in the contact's delivery history", async () => {
    const api = product.admin;
    // Grace has had a campaign already: the sample flow, run by the admin.
    const published = await api.api<FlowPublished>('POST', '/api/flows/welcome/publish');
    const campaign = await api.api<RunStarted>('POST', '/api/runs', { flowId: 'welcome', version: published.data.version, contactIds: ['ct_grace'] });
    expect((await settledRun(api, campaign.data.runId)).recipients.map((c) => c.status)).toEqual(['completed']);

    // The admin makes a Gmail-like profile (with a password) agent C's default, which shares it with them.
    await product.createAgent(agentC);
    const sessionC = await product.signIn(agentC);
    const profileId = (await api.api<SmtpProfileCreated>('POST', '/api/smtp-profiles', gmailLikeProfile(product, 'Gmail e2e'))).data.id;
    const view = (await api.api<SmtpProfileResponse>('GET', `/api/smtp-profiles/${profileId}`)).data;
    const saved = await api.api<SmtpProfileSaved>(
      'PUT',
      `/api/smtp-profiles/${profileId}`,
      profileInput(view, { defaultFor: [sessionC.userId], sharedWith: [] }),
    );
    expect(saved.status).toBe(200);
    // Saved with a blank password on the same server: the stored one is kept.
    expect(saved.data.passwordCleared).toBe(false);
    expect((await sessionC.api<SmtpProfileList>('GET', '/api/smtp-profiles')).data.profiles.find((p) => p.id === profileId)?.isMyDefault).toBe(true);

    const browser = await product.logIn(agentC, '/contacts');
    const { page } = browser;
    await page.getByTestId('contact-link-ct_grace').click();
    await page.waitForURL(/\/contacts\/ct_grace$/);
    await expect.poll(() => page.getByTestId('oneoff-sender').textContent()).toMatch(/Sends with: Gmail e2e/);
    await page.getByTestId('oneoff-subject').fill('A note for {{name}}');
    await page.getByTestId('oneoff-text').fill('Hello {{name}}, this is a one-off.');
    await page.getByTestId('oneoff-send').click();
    const row = page.getByTestId('delivery-row').filter({ hasText: 'one-off' }).filter({ hasText: 'sent' });
    await row.first().waitFor({ timeout: 60_000 });
    await expect.poll(() => row.first().textContent()).toMatch(/message.*#1.*sent.*250/);
    // Temporal's UI (no login, everyone's workflows) is linked for admins only.
    expect(await row.first().getByTestId('delivery-temporal-link').count()).toBe(0);
    await browser.close();

    const history = (await sessionC.api<ContactDeliveries>('GET', '/api/contacts/ct_grace/deliveries')).data;
    const oneOff = history.deliveries.find((d) => d.flowName === null);
    expect(oneOff).toMatchObject({ outcome: 'sent', nodeId: 'message', contactId: 'ct_grace' });
    expect(oneOff?.workflowId).toMatch(/^one-off:ct_grace:/);
    // The admin's campaign is in the same history, with its flow's name, for the admin; agent C sees only what is theirs.
    expect(history.deliveries.some((d) => d.flowName === 'Welcome series')).toBe(false);
    const adminHistory = (await api.api<ContactDeliveries>('GET', '/api/contacts/ct_grace/deliveries')).data;
    expect(adminHistory.deliveries.some((d) => d.flowName === 'Welcome series')).toBe(true);
    expect(oneOff?.temporalUrl).toBeNull();
    expect(adminHistory.deliveries.find((d) => d.workflowId === oneOff?.workflowId)?.temporalUrl).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${product.ports.ui}/namespaces/default/workflows/one-off%3Act_grace%3A`),
    );
    expect(adminHistory.deliveries.some((d) => d.workflowId === oneOff?.workflowId)).toBe(true);

    const mail = (await api.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data;
    expect(mail.find((m) => m.subject === 'A note for Grace Hopper')).toMatchObject({
      fromHeader: '"Me at Gmail" <me@gmail.test>',
      toHeader: '"Grace Hopper" <grace@example.test>',
    });

    // Read in clear through the codec endpoint (payloads are encrypted in Temporal).
    const workflow = product.workflowHistory(oneOff?.workflowId ?? '', { decoded: true });
    expect(workflow).toContain(`"profileId":"${profileId}"`);
    for (const secret of secrets) expect(workflow).not.toContain(secret);
  });
});
