/**
 * Contacts with attributes and unsubscribe, on the whole product: a contact needs only an email, its
 * attributes are edited on its page and fill a campaign's message, the message in the sandbox carries
 * List-Unsubscribe (RFC 8058 one-click), the one-click POST unsubscribes without a login, and the next
 * run leaves that contact out (by the sandbox's own record).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowGraph } from '../../domain/flow/schema';
import { openSandboxDatabase, type SandboxDb } from '../../server/db';
import type {
  ContactPage,
  ContactResponse,
  FlowCreated,
  FlowPublished,
  FlowResponse,
  ListResponse,
  ListsResponse,
  RunStarted,
} from '../../web/lib/api-types';
import { Product, saved, sendGraph, settledRun } from './product';

let product: Product;
let sandbox: SandboxDb;
/** The flow the campaign tests publish (version 1). */
let flowId = '';

beforeAll(async () => {
  product = await Product.start('audiences');
  sandbox = await openSandboxDatabase(path.join(product.dataDir, 'sandbox.db'));
});

afterAll(async () => {
  await sandbox?.destroy();
  await product?.stop();
});

const graph = sendGraph('sandbox', 'Hi {{ name | default: "there" }}', 'Your plan: {{ plan }}\nLeave: {{ unsubscribe_url }}');

/** The sandbox's own record of what it received for an address: raw source included. */
const mailTo = (address: string) => sandbox.selectFrom('sandboxMessages').selectAll().where('envelopeTo', '=', address).orderBy('id').execute();
const header = (raw: string, name: string) =>
  new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, 'im')
    .exec(raw.slice(0, raw.search(/\r?\n\r?\n/)))?.[1]
    ?.replace(/\r?\n[ \t]+/g, ' ')
    .trim();

describe('contacts, attributes and unsubscribe', () => {
  it('adds a contact with only an email, rejects a bad time zone by its field, and finds contacts by attribute', async () => {
    const api = product.admin;
    const zoe = await api.api<ContactResponse>('POST', '/api/contacts', { email: 'zoe@example.test', attributes: { plan: 'pro' } });
    expect(zoe.status).toBe(201);
    expect(zoe.data).toMatchObject({ name: '', status: 'subscribed', attributes: { plan: 'pro' } });
    const bad = await api.api('PATCH', `/api/contacts/${zoe.data.id}`, { attributes: { timezone: 'Mars/Olympus' } });
    expect(bad.status).toBe(422);
    expect(bad.error.details).toMatchObject({ field: 'attributes.timezone' });
    const found = (await api.api<ContactPage>('GET', '/api/contacts?q=plan:PRO')).data;
    expect(found.contacts.map((c) => c.email)).toEqual(['zoe@example.test']);
    // Newest first.
    expect((await api.api<ContactPage>('GET', '/api/contacts?limit=1')).data.contacts[0]?.email).toBe('zoe@example.test');
  });

  it('edits attributes on the contact page', async () => {
    const browser = await product.logIn({ email: 'admin@dripline.local', password: 'admin-password-e2e' }, '/contacts');
    const { page } = browser;
    await page.getByTestId('contact-search').fill('plan:pro');
    await page.getByTestId('contact-search-submit').click();
    await page.waitForURL(/q=plan%3Apro/);
    await page.locator('[data-testid^="contact-link-"]').filter({ hasText: 'zoe@example.test' }).click();
    await page.getByTestId('contact-form').waitFor();
    await page.getByTestId('contact-edit-name').fill('Zoe');
    await page.getByTestId('attribute-new-name').fill('timezone');
    await page.getByTestId('attribute-new-value').fill('Europe/Paris');
    await page.getByTestId('contact-save').click();
    await page.getByTestId('contact-saved').waitFor();
    await page.getByTestId('attribute-row-timezone').waitFor();
    await browser.close();
    const zoe = (await product.admin.api<ContactPage>('GET', '/api/contacts?q=zoe@')).data.contacts[0];
    expect(zoe).toMatchObject({ name: 'Zoe', attributes: { plan: 'pro', timezone: 'Europe/Paris' } });
  });

  it('sends with List-Unsubscribe, unsubscribes by the one-click POST without a login, and the next run skips that contact', async () => {
    const api = product.admin;
    const zoe = (await api.api<ContactPage>('GET', '/api/contacts?q=zoe@')).data.contacts[0]!;
    flowId = (await api.api<FlowCreated>('POST', '/api/flows', { name: 'Plans' })).data.id;
    expect((await api.api('PUT', `/api/flows/${flowId}`, { name: 'Plans', graph })).status).toBe(200);
    const version = (await api.api<FlowPublished>('POST', `/api/flows/${flowId}/publish`)).data.version;
    const first = (await api.api<RunStarted>('POST', '/api/runs', { flowId, version, contactIds: [zoe.id, 'ct_ada'] })).data.runId;
    expect((await settledRun(api, first)).recipients.map((r) => r.status)).toEqual(['completed', 'completed']);

    const [mail] = await mailTo('zoe@example.test');
    expect(mail?.subject).toBe('Hi Zoe');
    const listUnsubscribe = header(mail?.raw ?? '', 'List-Unsubscribe') ?? '';
    const url = /^<(http:\/\/localhost:\d+\/unsubscribe\/[A-Za-z0-9_.-]+)>$/.exec(listUnsubscribe)?.[1];
    expect(url, listUnsubscribe).toBeDefined();
    expect(header(mail?.raw ?? '', 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    // The body says {{ unsubscribe_url }} itself: filled there, not appended again.
    expect(mail?.text.trim()).toBe(`Your plan: pro\nLeave: ${url}`);

    // As a mail client does it: no cookie, the RFC 8058 body.
    const link = `${product.web}${new URL(url ?? 'http://x/').pathname}`;
    const shown = await fetch(link);
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain('data-testid="unsubscribe-confirm"');
    const forged = await fetch(`${link.slice(0, -2)}xx`, { method: 'POST', body: 'List-Unsubscribe=One-Click' });
    expect(forged.status).toBe(404);
    const oneClick = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect((await api.api<ContactResponse>('GET', `/api/contacts/${zoe.id}`)).data).toMatchObject({
      status: 'unsubscribed',
      statusReason: 'one-click unsubscribe from the mail client',
    });

    const second = (await api.api<RunStarted>('POST', '/api/runs', { flowId, version, contactIds: [zoe.id, 'ct_ada'] })).data.runId;
    const settled = await settledRun(api, second);
    expect(settled.recipients.map((r) => r.email)).toEqual(['ada@example.test']);
    expect(await mailTo('zoe@example.test')).toHaveLength(1);
    expect(await mailTo('ada@example.test')).toHaveLength(2);
  });

  it('unsubscribes from the confirm button of the public page, in a browser with no session', async () => {
    const [mail] = await mailTo('ada@example.test');
    const url = /^<([^>]+)>$/.exec(header(mail?.raw ?? '', 'List-Unsubscribe') ?? '')?.[1] ?? '';
    const browser = await product.newBrowserSession();
    await browser.page.goto(`${product.web}${new URL(url).pathname}`);
    await browser.page.getByTestId('unsubscribe-confirm').click();
    await browser.page.getByTestId('unsubscribe-done').waitFor();
    await browser.close();
    expect((await product.admin.api<ContactResponse>('GET', '/api/contacts/ct_ada')).data).toMatchObject({
      status: 'unsubscribed',
      statusReason: 'unsubscribed with the link in an email',
    });
  });

  it('makes a list by hand and starts a run for it, its count shown before starting', async () => {
    const browser = await product.logIn({ email: 'admin@dripline.local', password: 'admin-password-e2e' }, '/lists');
    const { page } = browser;
    await page.getByTestId('list-name').fill('Friends');
    await page.getByTestId('create-list').click();
    await page.getByTestId('lists-table').getByText('Friends').waitFor();
    const listId = (await product.admin.api<ListsResponse>('GET', '/api/lists')).data.lists.find((l) => l.name === 'Friends')?.id ?? '';
    await page.goto(`${product.web}/contacts/ct_grace`, { waitUntil: 'networkidle' });
    await page.getByTestId(`contact-list-${listId}`).check();
    await expect
      .poll(async () => (await product.admin.api<ListsResponse>('GET', '/api/lists')).data.lists[0])
      .toMatchObject({ members: 1, subscribed: 1 });
    await page.goto(`${product.web}/flows/${flowId}/run`, { waitUntil: 'networkidle' });
    await page.getByTestId(`audience-list-${listId}`).check();
    expect(await page.getByTestId('review-audience').textContent()).toContain('the list “Friends”: 1 contact');
    await expect.poll(() => page.getByTestId('start-run').textContent()).toBe('Start run for 1 contact');
    await page.getByTestId('start-run').click();
    await page.waitForURL(/\/runs\/run_/);
    const runId = new URL(page.url()).pathname.split('/').pop() ?? '';
    await browser.close();
    const settled = await settledRun(product.admin, runId);
    expect(settled.recipients.map((r) => [r.email, r.status])).toEqual([['grace@example.test', 'completed']]);
    expect(await mailTo('grace@example.test')).toHaveLength(1);
  });

  it('starts a welcome for a contact added to the list the Trigger names, chosen in the editor', async () => {
    const api = product.admin;
    const listId = (await api.api<ListResponse>('POST', '/api/lists', { name: 'Newcomers' })).data.id;
    const newcomer = (await api.api<ContactResponse>('POST', '/api/contacts', { email: 'newcomer@example.test', name: 'Nia' })).data;
    const welcomeId = (await api.api<FlowCreated>('POST', '/api/flows', { name: 'Newcomers welcome' })).data.id;
    const welcome = sendGraph('sandbox', 'Welcome, {{ name }}', 'Glad you joined.\nLeave: {{ unsubscribe_url }}');
    expect((await api.api('PUT', `/api/flows/${welcomeId}`, { name: 'Newcomers welcome', graph: welcome })).status).toBe(200);

    const browser = await product.logIn({ email: 'admin@dripline.local', password: 'admin-password-e2e' }, `/flows/${welcomeId}`);
    const { page } = browser;
    await page.getByTestId('node-trigger').click();
    await page.getByTestId('trigger-source-list').check();
    await page.getByTestId('node-panel').getByText('choose the list whose new members enter this flow').first().waitFor();
    await page.getByTestId('trigger-list').selectOption({ label: 'Newcomers' });
    await expect.poll(() => page.getByTestId('node-trigger').textContent()).toContain('added to a list (once ever)');
    await saved(page);
    const drawn = (await api.api<FlowResponse>('GET', `/api/flows/${welcomeId}`)).data.graph as FlowGraph;
    expect(drawn.nodes.find((n) => n.type === 'trigger')?.data).toEqual({
      source: 'list',
      listId,
      reentry: 'once',
    });
    expect((await api.api<FlowPublished>('POST', `/api/flows/${welcomeId}/publish`)).status).toBe(200);

    // Added on the contact's page: the journey starts and the sandbox receives the welcome, once.
    await page.goto(`${product.web}/contacts/${newcomer.id}`, { waitUntil: 'networkidle' });
    await page.getByTestId(`contact-list-${listId}`).check();
    await expect.poll(async () => (await mailTo('newcomer@example.test')).map((m) => m.subject), { timeout: 60_000 }).toEqual(['Welcome, Nia']);
    await browser.close();
  });

  it('sets a date Trigger in the editor: a date attribute, days after, a time and a zone, each problem at its field', async () => {
    const api = product.admin;
    // A YYYY-MM-DD value makes renewal_date a date attribute.
    expect((await api.api('POST', '/api/contacts', { email: 'renewing@example.test', attributes: { renewal_date: '2027-01-01' } })).status).toBe(201);
    const renewalsId = (await api.api<FlowCreated>('POST', '/api/flows', { name: 'Renewals' })).data.id;
    const renewals = sendGraph('sandbox', 'Your renewal', 'Renew soon.\nLeave: {{ unsubscribe_url }}');
    expect((await api.api('PUT', `/api/flows/${renewalsId}`, { name: 'Renewals', graph: renewals })).status).toBe(200);

    const browser = await product.logIn({ email: 'admin@dripline.local', password: 'admin-password-e2e' }, `/flows/${renewalsId}`);
    const { page } = browser;
    await page.getByTestId('node-trigger').click();
    await page.getByTestId('trigger-source-date').check();
    await page.getByTestId('trigger-date-attribute').selectOption('renewal_date');
    await page.getByTestId('trigger-date-days').fill('7');
    await page.getByTestId('trigger-date-after').check();
    await page.getByTestId('trigger-date-at').fill('08:30');
    await page.getByTestId('trigger-date-zone').fill('Mars/Base');
    await page.getByTestId('node-panel').getByText('choose a time zone such as Europe/Berlin').first().waitFor();
    await page.getByTestId('trigger-date-zone').fill('Europe/Berlin');
    await expect.poll(() => page.getByTestId('node-trigger').textContent()).toContain('7 days after renewal_date at 08:30');
    await saved(page);
    await browser.close();
    const drawn = (await api.api<FlowResponse>('GET', `/api/flows/${renewalsId}`)).data.graph as FlowGraph;
    expect(drawn.nodes.find((n) => n.type === 'trigger')?.data).toEqual({
      source: 'date',
      date: { attribute: 'renewal_date', days: 7, direction: 'after', at: '08:30', everyYear: true, timeZone: 'Europe/Berlin' },
    });
    expect((await api.api<FlowPublished>('POST', `/api/flows/${renewalsId}/publish`)).status).toBe(200);
  });
});
