/**
 * Segments on the whole product (npm start: web app, worker, Temporal, sandbox SMTP), in a browser:
 * import a CSV, build a segment from its attributes, watch its live count, and start a run for it; the
 * count shown before starting is the run's recipients, and the sandbox mailbox gets exactly the
 * segment's subscribed contacts, once each. The API names the field of each bad rule. A flow's Trigger
 * starts on entering the segment, chosen in the editor.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSandboxDatabase, type SandboxDb } from '../../server/db';
import type { FlowGraph } from '../../domain/flow/schema';
import type { ContactPage, FlowCreated, FlowPublished, FlowResponse, SegmentWithCount } from '../../web/lib/api-types';
import { admin, Product, saved, sendGraph, settledRun } from './product';

let product: Product;
let sandbox: SandboxDb;
/** The flow the first test publishes (version 1). */
let flowId = '';
/** The segment the first test saves. */
let segmentId = '';

beforeAll(async () => {
  product = await Product.start('segments');
  sandbox = await openSandboxDatabase(path.join(product.dataDir, 'sandbox.db'));
});

afterAll(async () => {
  await sandbox?.destroy();
  await product?.stop();
});

const graph = sendGraph('sandbox', 'For {{ plan }} customers', 'You have {{ seats }} seats.\nLeave: {{ unsubscribe_url }}');

/** Who is on which plan with how many seats; the segment is "plan is pro and seats is at least 3". */
const PEOPLE: [email: string, plan: string, seats: number, signedUp: string][] = [
  ['ann@seg.test', 'pro', 5, '2026-01-10'],
  ['bob@seg.test', 'pro', 2, '2026-02-11'],
  ['cy@seg.test', 'Pro', 9, '2026-03-12'],
  ['dee@seg.test', 'pro', 3, '2026-04-13'],
  ['eve@seg.test', 'free', 7, '2026-05-14'],
  ['fay@seg.test', 'pro', 12, '2026-06-15'],
  ['gus@seg.test', 'team', 4, '2026-07-16'],
  ['hal@seg.test', 'pro', 30, '2026-08-17'],
];
/** fay unsubscribes before the run: she matches the rules, but no run mails her. */
const EXPECTED = ['ann@seg.test', 'dee@seg.test', 'hal@seg.test'];

describe('segments in the browser', () => {
  it('imports a CSV, builds a segment with a live count, and starts a run that mails exactly its contacts', async () => {
    const api = product.admin;

    const browser = await product.logIn(admin, '/contacts');
    const { page } = browser;
    await page.getByTestId('import-contacts').click();
    await page.waitForURL(/\/contacts\/import$/);
    const csv = ['Email,Plan,Seats,Signed up', ...PEOPLE.map((p) => p.join(',')), ''].join('\n');
    await page.getByTestId('import-file').setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByTestId('import-upload').click();
    await page.getByTestId('import-mapping').waitFor();
    expect(await page.getByTestId('import-attribute-2').inputValue()).toBe('seats');
    await page.getByTestId('import-type-2').selectOption('number');
    await page.getByTestId('import-start').click();
    await page.waitForURL(/\/contacts\/import\/imp_/);
    await page.locator('[data-testid="import-progress"][data-status="done"]').waitFor({ timeout: 120_000 });
    // Published once contacts have plan and seats: a campaign's template may only name attributes contacts have.
    flowId = (await api.api<FlowCreated>('POST', '/api/flows', { name: 'Pro offer' })).data.id;
    expect((await api.api('PUT', `/api/flows/${flowId}`, { name: 'Pro offer', graph })).status).toBe(200);
    expect((await api.api<FlowPublished>('POST', `/api/flows/${flowId}/publish`)).data.version).toBe(1);
    expect(await page.getByTestId('import-created').textContent()).toBe(String(PEOPLE.length));

    const fay = (await api.api<ContactPage>('GET', '/api/contacts?q=fay@seg.test')).data.contacts[0];
    expect((await api.api('PATCH', `/api/contacts/${fay?.id}`, { status: 'unsubscribed' })).status).toBe(200);

    // Contacts → Segments → New: plan is "pro" (exact case), seats at least 3.
    await page.goto(`${product.web}/contacts`);
    await page.getByTestId('segments-link').click();
    await page.getByTestId('new-segment').click();
    await page.waitForURL(/\/contacts\/segments\/new$/);
    await page.getByTestId('segment-name').fill('Pro with seats');
    await page.getByTestId('rule-field-0').selectOption('plan');
    await page.getByTestId('rule-op-0').selectOption('equals');
    await page.getByTestId('rule-value-0').fill('pro');
    // One rule: pro, whatever the seats: ann, bob, dee, hal (fay is unsubscribed).
    await page.locator('[data-testid="segment-count"][data-count="4"]').waitFor();
    await page.getByTestId('rule-add').click();
    await page.getByTestId('rule-field-1').selectOption('seats');
    // The operators offered fit a number; without a value the rule says what it needs, at the rule.
    expect(await page.getByTestId('rule-op-1').locator('option').allTextContents()).toContain('is at least');
    await page.getByTestId('rule-op-1').selectOption('gte');
    expect(await page.getByTestId('rule-error-1').textContent()).toMatch(/enter a number/);
    await page.getByTestId('rule-value-1').fill('3');
    await page.locator('[data-testid="segment-count"][data-count="3"]').waitFor();
    // An attribute no contact has yet can be typed in; the rule says so, and the segment cannot be saved with it.
    await page.getByTestId('rule-add').click();
    await page.getByTestId('rule-field-2').selectOption({ label: 'Other attribute…' });
    await page.getByTestId('rule-field-name-2').fill('shoe_size');
    expect(await page.getByTestId('rule-error-2').textContent()).toBe('no contact has an attribute named shoe_size; choose one they have');
    expect(await page.getByTestId('segment-save').isDisabled()).toBe(true);
    await page.getByTestId('rule-remove-2').click();
    await page.getByTestId('rule-2').waitFor({ state: 'detached' });
    await page.locator('[data-testid="segment-count"][data-count="3"]').waitFor();
    expect(await page.getByTestId('segment-count').textContent()).toBe('3 subscribed contacts match (4 in all)');
    await page.getByTestId('segment-save').click();
    await page.waitForURL(/\/contacts\/segments\/seg_[0-9a-f]+\?saved=1$/);
    await page.getByTestId('segment-saved').waitFor();
    segmentId = new URL(page.url()).pathname.split('/').pop() ?? '';

    // Start a run for it: the count is shown before starting.
    await page.goto(`${product.web}/flows/${flowId}/run`, { waitUntil: 'networkidle' });
    await page.getByTestId('audience-search').fill('pro with');
    await page.getByTestId(`audience-segment-${segmentId}`).check();
    await page.locator('[data-testid="review-audience"][data-count]').waitFor();
    const shown = Number(await page.getByTestId('review-audience').getAttribute('data-count'));
    expect(shown).toBe(EXPECTED.length);
    expect(await page.getByTestId('review-audience').textContent()).toContain('the segment “Pro with seats”');
    expect(await page.getByTestId('start-run').textContent()).toBe(`Start run for ${shown} contacts`);
    await page.getByTestId('start-run').click();
    await page.waitForURL(/\/runs\/run_/);
    const runId = new URL(page.url()).pathname.split('/').pop() ?? '';
    expect(await page.getByTestId('run-audience').textContent()).toMatch(/plan is "pro" and seats is at least 3/);
    await browser.close();

    const settled = await settledRun(api, runId);
    expect(settled.report.run.audience).toMatchObject({ kind: 'segment', segmentId });
    expect(settled.recipients.map((r) => [r.email, r.status]).sort()).toEqual(EXPECTED.map((e) => [e, 'completed']));
    expect(settled.recipients).toHaveLength(shown);
    const mailed = await sandbox.selectFrom('sandboxMessages').select(['envelopeTo', 'subject']).where('envelopeTo', 'like', '%@seg.test').execute();
    expect(mailed.map((m) => m.envelopeTo).sort()).toEqual(EXPECTED);
    expect(new Set(mailed.map((m) => m.subject))).toEqual(new Set(['For pro customers']));
    expect((await api.api<SegmentWithCount>('GET', `/api/segments/${segmentId}`)).data.count).toEqual({ contacts: 4, subscribed: 3 });
  });

  it('answers a bad rule with a 4xx that names its field', async () => {
    const api = product.admin;
    const unknown = await api.api('POST', '/api/segments', {
      name: 'Shoes',
      filter: { match: 'all', rules: [{ field: 'shoe_size', op: 'gt', value: 40 }] },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.error).toMatchObject({ code: 'invalid_filter', details: { field: 'filter.rules.0.field' } });
    const misfit = await api.api('POST', '/api/segments/count', {
      filter: { match: 'any', rules: [{ field: 'plan', op: 'before', value: '2026-01-01' }] },
    });
    expect(misfit.status).toBe(422);
    expect(misfit.error).toMatchObject({ code: 'invalid_filter', details: { field: 'filter.rules.0.op' } });
    const malformed = await api.api('POST', '/api/segments', {
      name: 'Dates',
      filter: { match: 'all', rules: [{ field: 'signed_up', op: 'after', value: '1/2/2026' }] },
    });
    expect(malformed.status).toBe(422);
    expect(malformed.error.details).toEqual([
      expect.objectContaining({ path: ['filter', 'rules', 0, 'value'], message: expect.stringMatching(/YYYY-MM-DD/) }),
    ]);
    const taken = await api.api('POST', '/api/segments', {
      name: 'PRO WITH SEATS',
      filter: { match: 'all', rules: [{ field: 'plan', op: 'exists' }] },
    });
    expect(taken.status).toBe(409);
    expect(taken.error.details).toEqual({ field: 'name' });
    const noSegment = await api.api('POST', '/api/runs', { flowId, version: 1, audience: { kind: 'segment', segmentId: 'seg_none' } });
    expect(noSegment.status).toBe(404);
    expect(noSegment.error).toMatchObject({ code: 'segment_not_found', details: { field: 'audience.segmentId' } });
  });

  it("chooses entering the segment as a flow's Trigger in the editor, and publishes it", async () => {
    const api = product.admin;
    const welcomeId = (await api.api<FlowCreated>('POST', '/api/flows', { name: 'Pro welcome' })).data.id;
    const welcome = sendGraph('sandbox', 'Welcome to Pro', 'Hi {{ name }}\nLeave: {{ unsubscribe_url }}');
    expect((await api.api('PUT', `/api/flows/${welcomeId}`, { name: 'Pro welcome', graph: welcome })).status).toBe(200);
    const browser = await product.logIn(admin, `/flows/${welcomeId}`);
    const { page } = browser;
    await page.getByTestId('node-trigger').click();
    await page.getByTestId('trigger-source-segment').check();
    await page.getByTestId('node-panel').getByText('choose the segment whose new members enter this flow').first().waitFor();
    expect(await page.getByTestId('trigger-segment-hint').textContent()).toMatch(/already in it when you publish do not enter/);
    await page.getByTestId('trigger-segment').selectOption({ label: 'Pro with seats' });
    await expect.poll(() => page.getByTestId('node-trigger').textContent()).toContain('entering a segment (once ever)');
    await saved(page);
    await browser.close();
    const drawn = (await api.api<FlowResponse>('GET', `/api/flows/${welcomeId}`)).data.graph as FlowGraph;
    expect(drawn.nodes.find((n) => n.type === 'trigger')?.data).toEqual({ source: 'segment', segmentId, reentry: 'once' });
    expect((await api.api<FlowPublished>('POST', `/api/flows/${welcomeId}/publish`)).status).toBe(200);
  });
});
