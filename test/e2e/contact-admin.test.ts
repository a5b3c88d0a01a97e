/**
 * Admin work on contacts and users, on the whole product: suppressions listed a page at a time and
 * lifted, contacts deleted (admins only), each with a confirmation in the browser. What deleting does
 * to journeys and the delivery log is proved on Temporal in test/contact-delete.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SuppressionPage } from '../../web/app/api/suppressions/route';
import type { ContactResponse, FlowCreated, UserList } from '../../web/lib/api-types';
import { admin, agentA, agentB, issueFields, Product, type Session } from './product';

let product: Product;
let agent: Session;

beforeAll(async () => {
  product = await Product.start('contact-admin');
  await product.createAgent(agentA);
  agent = await product.signIn(agentA);
});

afterAll(async () => product?.stop());

async function addContact(email: string, status?: 'unsubscribed' | 'suppressed'): Promise<ContactResponse> {
  const created = await product.admin.api<ContactResponse>('POST', '/api/contacts', { email });
  expect(created.status, created.text).toBe(201);
  if (!status) return created.data;
  const changed = await product.admin.api<ContactResponse>('PATCH', `/api/contacts/${created.data.id}`, { status });
  expect(changed.data.status).toBe(status);
  return changed.data;
}

describe('suppressions', () => {
  it('lists unsubscribed and suppressed contacts a page at a time, latest first, and filters by status; agents get a 403', async () => {
    const left = await addContact('left@example.test', 'unsubscribed');
    const bounced = await addContact('bounced@example.test', 'suppressed');
    await addContact('happy@example.test');
    const api = product.admin;
    const all = (await api.api<SuppressionPage>('GET', '/api/suppressions')).data;
    expect(all.total).toBe(2);
    expect(all.items.map((s) => s.email)).toEqual(['bounced@example.test', 'left@example.test']);
    expect(all.items[0]).toMatchObject({ contactId: bounced.id, status: 'suppressed', reason: `suppressed by ${admin.email}` });
    expect(all.items[0]?.at).toMatch(/^\d{4}-/);
    const firstPage = (await api.api<SuppressionPage>('GET', '/api/suppressions?limit=1')).data;
    expect(firstPage).toMatchObject({ total: 2, limit: 1, items: [{ contactId: bounced.id }] });
    const secondPage = (await api.api<SuppressionPage>('GET', '/api/suppressions?limit=1&offset=1')).data;
    expect(secondPage.items.map((s) => s.contactId)).toEqual([left.id]);
    const unsubscribed = (await api.api<SuppressionPage>('GET', '/api/suppressions?status=unsubscribed')).data;
    expect(unsubscribed.items.map((s) => s.contactId)).toEqual([left.id]);
    const bad = await api.api('GET', '/api/suppressions?status=gone');
    expect(bad.status).toBe(422);
    expect(issueFields(bad.error)).toEqual(['status']);

    for (const [method, url] of [
      ['GET', '/api/suppressions'],
      ['DELETE', `/api/suppressions/${left.id}`],
    ] as const) {
      const refused = await agent.api(method, url);
      expect(refused.status, `${method} ${url}`).toBe(403);
      expect(refused.error.code).toBe('admin_only');
    }
    expect((await api.api<ContactResponse>('GET', `/api/contacts/${left.id}`)).data.status).toBe('unsubscribed');
  });

  it('lifts a suppression from the page after a confirmation: the contact is subscribed again; lifting twice is a 409', async () => {
    const page0 = (await product.admin.api<SuppressionPage>('GET', '/api/suppressions?status=unsubscribed')).data;
    const left = page0.items[0];
    if (!left) throw new Error('the first test left an unsubscribed contact');
    const browser = await product.logIn(admin, '/contacts');
    const { page } = browser;
    await page.getByTestId('suppressions-link').click();
    await page.waitForURL(/\/contacts\/suppressions$/);
    const row = page.getByTestId(`suppression-row-${left.contactId}`);
    await row.waitFor();
    expect(await page.getByTestId('suppression-total').textContent()).toBe('2 contacts');
    // Cancel first: nothing changes.
    await page.getByTestId(`lift-${left.contactId}`).click();
    await page.getByTestId(`lift-${left.contactId}-dialog`).getByText('This person unsubscribed').waitFor();
    await page.getByTestId(`lift-${left.contactId}-cancel`).click();
    expect((await product.admin.api<ContactResponse>('GET', `/api/contacts/${left.contactId}`)).data.status).toBe('unsubscribed');
    await page.getByTestId(`lift-${left.contactId}`).click();
    await page.getByTestId(`lift-${left.contactId}-confirm`).click();
    await row.waitFor({ state: 'detached' });
    expect(await page.getByTestId('suppression-total').textContent()).toBe('1 contact');
    await browser.close();

    const contact = (await product.admin.api<ContactResponse>('GET', `/api/contacts/${left.contactId}`)).data;
    expect(contact).toMatchObject({ status: 'subscribed', statusReason: `unsubscribed lifted by ${admin.email}` });
    const again = await product.admin.api('DELETE', `/api/suppressions/${left.contactId}`);
    expect(again.status).toBe(409);
    expect(again.error.code).toBe('not_suppressed');
    expect((await product.admin.api('DELETE', '/api/suppressions/ct_nobody')).status).toBe(404);
  });
});

describe('deleting a contact', () => {
  it('asks first on the contact page, then the contact is gone; agents may not delete', async () => {
    const doomed = await addContact('forget-me@example.test');
    const refused = await agent.api('DELETE', `/api/contacts/${doomed.id}`);
    expect(refused.status).toBe(403);

    const browser = await product.logIn(admin, `/contacts/${doomed.id}`);
    const { page } = browser;
    await page.getByTestId('delete-contact').click();
    const dialog = page.getByTestId('delete-contact-dialog');
    await dialog.getByText('Delete forget-me@example.test?').waitFor();
    await page.getByTestId('delete-contact-cancel').click();
    expect((await product.admin.api<ContactResponse>('GET', `/api/contacts/${doomed.id}`)).status).toBe(200);
    await page.getByTestId('delete-contact').click();
    await page.getByTestId('delete-contact-confirm').click();
    await page.waitForURL(/\/contacts$/);
    await browser.close();

    const gone = await product.admin.api('GET', `/api/contacts/${doomed.id}`);
    expect(gone.status).toBe(404);
    expect((await product.admin.api('DELETE', `/api/contacts/${doomed.id}`)).status).toBe(404);
  });
});

describe('deleting users', () => {
  it('deletes an agent after a confirmation: signed out, their flow now the admin’s; yourself and unknown users are refused by name', async () => {
    await product.createAgent(agentB);
    const bee = await product.signIn(agentB);
    const flow = (await bee.api<FlowCreated>('POST', '/api/flows', { name: 'Bee’s welcome' })).data;
    expect((await product.admin.api('GET', `/api/flows/${flow.id}`)).status).toBe(200);

    const browser = await product.logIn(admin, '/settings/users');
    const { page } = browser;
    const users = (await product.admin.api<UserList>('GET', '/api/users')).data.users;
    const beeId = users.find((u) => u.email === agentB.email)?.id ?? '';
    const me = users.find((u) => u.email === admin.email)?.id ?? '';
    // No delete button on your own row.
    await page.getByTestId(`user-row-${me}`).getByText('your account').waitFor();
    expect(await page.getByTestId(`delete-user-${me}`).count()).toBe(0);
    await page.getByTestId(`delete-user-${beeId}`).click();
    await page.getByTestId(`delete-user-${beeId}-dialog`).getByText('become yours').waitFor();
    await page.getByTestId(`delete-user-${beeId}-confirm`).click();
    await page.getByTestId(`user-row-${beeId}`).waitFor({ state: 'detached' });
    await browser.close();

    expect((await bee.api('GET', '/api/contacts')).status).toBe(401);
    // The flow stays, now the admin's: an agent's flow list would no longer show it to them, admins see it.
    expect((await product.admin.api('GET', `/api/flows/${flow.id}`)).status).toBe(200);
    const self = await product.admin.api('DELETE', `/api/users/${me}`);
    expect(self.status).toBe(409);
    expect(self.error).toMatchObject({ code: 'cannot_delete_self', message: 'you cannot delete your own account; ask another admin to do it' });
    expect((await product.admin.api('DELETE', `/api/users/${beeId}`)).status).toBe(404);
    expect((await agent.api('DELETE', `/api/users/${me}`)).status).toBe(403);
  });
});
