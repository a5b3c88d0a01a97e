/** Agents: created by an admin in Settings → Users, kept out of admin pages and out of each other's private SMTP profiles. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  FlowCreated,
  FlowPublished,
  FlowSaved,
  SmtpProfileCreated,
  SmtpProfileList,
  SmtpProfileResponse,
  UserCreated,
} from '../../web/lib/api-types';
import { admin, agentA, agentB, agentC, Product, sendGraph, smtpLogin } from './product';

let product: Product;

beforeAll(async () => {
  product = await Product.start('agents');
});

afterAll(async () => {
  await product?.stop();
});

describe('agents', () => {
  it('lets an admin create an agent in Settings → Users, and shows agents a 403 there', async () => {
    const browser = await product.logIn(admin, '/settings/users');
    const { page } = browser;
    await page.getByTestId('user-email').fill(agentC.email);
    await page.getByTestId('user-name').fill(agentC.name);
    await page.getByTestId('user-password').fill('short');
    await page.getByTestId('create-user').click();
    await expect.poll(() => page.getByTestId('user-error-password').textContent()).toMatch(/at least 10/);
    await page.getByTestId('user-password').fill(agentC.password);
    await page.getByTestId('user-role').selectOption('agent');
    await page.getByTestId('create-user').click();
    await page.getByTestId('user-created').waitFor();
    // The list below refreshes with the new user.
    await page.getByTestId('users').getByText(agentC.email, { exact: true }).waitFor();
    await browser.close();

    const agent = await product.logIn(agentC, '/flows');
    await expect.poll(() => agent.page.getByTestId('whoami').textContent()).toMatch(/agent-c@dripline\.test\s*agent/);
    const forbidden = await agent.page.goto(`${product.web}/settings/users`);
    expect(forbidden?.status()).toBe(403);
    await agent.page.getByTestId('forbidden').waitFor();
    await agent.close();
  });

  it("keeps one agent out of another agent's private SMTP profile", async () => {
    const api = product.admin;
    for (const agent of [agentA, agentB]) {
      const created = await api.api<UserCreated>('POST', '/api/users', { ...agent, role: 'agent' });
      expect(created.status).toBe(201);
    }
    const again = await api.api<UserCreated>('POST', '/api/users', { ...agentA, role: 'agent' });
    expect(again.status).toBe(409);
    const sessionA = await product.signIn(agentA);
    const sessionB = await product.signIn(agentB);
    expect((await sessionB.api('GET', '/api/users')).status).toBe(403);

    const privateProfile = {
      name: 'A private',
      host: '127.0.0.1',
      port: product.ports.smtp,
      secure: false,
      requireTls: false,
      username: smtpLogin.user,
      password: smtpLogin.password,
      fromEmail: 'agent-a@dripline.test',
    };
    const created = await sessionA.api<SmtpProfileCreated>('POST', '/api/smtp-profiles', privateProfile);
    expect(created.status).toBe(201);
    const id = created.data.id;
    // Sharing and defaults are for admins.
    expect((await sessionA.api('POST', '/api/smtp-profiles', { ...privateProfile, defaultFor: [sessionB.userId] })).status).toBe(403);

    expect((await sessionA.api<SmtpProfileResponse>('GET', `/api/smtp-profiles/${id}`)).data.hasPassword).toBe(true);
    expect((await sessionB.api('GET', `/api/smtp-profiles/${id}`)).status).toBe(403);
    expect((await sessionB.api('PUT', `/api/smtp-profiles/${id}`, { ...privateProfile, host: 'smtp.evil.test' })).status).toBe(403);
    expect((await sessionB.api('DELETE', `/api/smtp-profiles/${id}`)).status).toBe(403);
    const listedForB = (await sessionB.api<SmtpProfileList>('GET', '/api/smtp-profiles')).data;
    expect(listedForB.profiles.map((p) => p.id)).not.toContain(id);
    expect(listedForB.agents).toBeUndefined();
    expect((await sessionA.api<SmtpProfileList>('GET', '/api/smtp-profiles')).data.profiles.map((p) => p.id)).toContain(id);
    expect((await api.api<SmtpProfileList>('GET', '/api/smtp-profiles')).data.agents?.map((a) => a.email)).toEqual(
      expect.arrayContaining([agentA.email, agentB.email]),
    );

    const flow = await sessionB.api<FlowCreated>('POST', '/api/flows', { name: "B uses A's profile" });
    expect(flow.status).toBe(201);
    expect((await sessionB.api<FlowSaved>('PUT', `/api/flows/${flow.data.id}`, { name: "B uses A's profile", graph: sendGraph(id) })).status).toBe(
      200,
    );
    const publish = await sessionB.api<FlowPublished>('POST', `/api/flows/${flow.data.id}/publish`);
    expect(publish.status).toBe(403);
    expect(publish.error.message).toMatch(/private/);
    // B's flow is B's: A cannot see it, let alone publish it (404, as if it did not exist).
    expect((await sessionA.api<FlowPublished>('POST', `/api/flows/${flow.data.id}/publish`)).status).toBe(404);
  });

  it('lets only an admin set the frequency cap, in Settings, naming a bad field', async () => {
    const api = product.admin;
    expect((await api.api('GET', '/api/frequency-cap')).data).toEqual({ cap: null });
    const bad = await api.api('PUT', '/api/frequency-cap', { maxEmails: 2, periodHours: 0 });
    expect(bad.status).toBe(422);
    expect(bad.error.message).toMatch(/periodHours must be at least 1/);
    const agent = await product.signIn(agentA);
    expect((await agent.api('PUT', '/api/frequency-cap', { maxEmails: 1, periodHours: 24 })).status).toBe(403);

    const browser = await product.logIn(admin, '/settings/frequency-cap');
    const { page } = browser;
    await page.getByTestId('frequency-cap-on').check();
    await page.getByTestId('frequency-cap-max').fill('0');
    await page.getByTestId('frequency-cap-save').click();
    await expect.poll(() => page.getByTestId('frequency-cap-error-maxEmails').textContent()).toBe('maxEmails must be at least 1');
    await page.getByTestId('frequency-cap-max').fill('2');
    await page.getByTestId('frequency-cap-period').selectOption('24');
    await page.getByTestId('frequency-cap-save').click();
    await expect.poll(() => page.getByTestId('frequency-cap-message').textContent()).toMatch(/^Saved: the cap applies/);
    await browser.close();
    expect((await api.api('GET', '/api/frequency-cap')).data).toEqual({ cap: { maxEmails: 2, periodHours: 24 } });
    expect((await api.api('DELETE', '/api/frequency-cap')).data).toEqual({ cap: null });
  });
});
