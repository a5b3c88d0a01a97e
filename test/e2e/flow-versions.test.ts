/**
 * Drafts and versions in a real browser: a published flow, edited, says what its draft changes (by step
 * titles, each field by its label, old → new) and that runs still use the published version; Publish
 * takes a note, the history shows who published what when; the start page names the version it runs.
 * Words, not ids: problems name fields as the form labels them, a long subject is explained rather than
 * cut, the save state never contradicts a notice, and a contact's history names the step that sent.
 * DRIPLINE_SCREENSHOT_DIR, when set, receives the pages' screenshots.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowGraph } from '../../domain/flow/schema';
import { SANDBOX_PROFILE_ID } from '../../domain/senders';
import type { ApiKeyCreated, ContactDeliveries, EventAnswer, FlowCreated, FlowPublished, FlowResponse, RunStarted } from '../../web/lib/api-types';
import { admin, eventually, issueFields, Product, saved, settledRun } from './product';

let product: Product;

beforeAll(async () => {
  product = await Product.start('flow-versions');
});

afterAll(async () => {
  await product?.stop();
});

const text = async (page: Page, testId: string) => (await page.getByTestId(testId).textContent()) ?? '';

describe('drafts and published versions', () => {
  it('shows what an edited published flow changes, publishes it with a note, and the start page names the version', async () => {
    const browser = await product.logIn(admin, '/flows/welcome');
    const { page } = browser;
    await page.getByTestId('node-sendEmail').waitFor({ timeout: 60_000 });
    // Not published yet: nothing to compare with.
    expect(await page.getByTestId('draft-banner').count()).toBe(0);
    await page.getByTestId('publish-flow').click();
    await page.getByTestId('published-version').filter({ hasText: 'Published version 1' }).waitFor();
    expect(await page.getByTestId('draft-banner').count()).toBe(0);

    // Moving a step changes nothing a run does: no banner.
    const delay = page.getByTestId('node-delay');
    const at = await delay.boundingBox();
    if (!at) throw new Error('no Delay on screen');
    await page.mouse.move(at.x + 20, at.y + 20);
    await page.mouse.down();
    await page.mouse.move(at.x + 120, at.y + 30, { steps: 8 });
    await page.mouse.up();
    await saved(page);
    expect(await page.getByTestId('draft-banner').count()).toBe(0);

    // Name the Delay, change the subject, add a Delay under the first: the banner lists each by its title.
    await delay.click();
    await page.getByTestId('step-name').fill('Short wait');
    await page.getByTestId('node-sendEmail').click();
    await page.getByTestId('node-panel').getByLabel('Subject').fill('Hello {{name}}');
    await page.getByTestId('node-delay').filter({ hasText: 'Short wait' }).click();
    await page.getByTestId('add-delay').click();
    await page.getByTestId('draft-banner').waitFor();
    expect(await text(page, 'draft-summary')).toBe('What changed: 1 step added, 2 steps edited, 3 connections changed');
    await page.getByTestId('draft-summary').click();
    await page.getByTestId('draft-diff').waitFor({ state: 'visible' });
    const diff = await text(page, 'draft-diff');
    expect(diff).toContain('Added: Delay “Wait');
    expect(diff).toContain('Connected: Delay “Short wait” → Delay “Wait');
    expect(diff).toContain('Disconnected: Delay “Short wait” → Send Email “Hello {{name}}”');
    // Each edited field by its label on the form, old → new.
    expect(diff).toContain('Edited: Delay “Short wait”Step name: (empty) → “Short wait”');
    expect(diff).toContain('Edited: Send Email “Hello {{name}}”Subject: “Welcome to Dripline, {{name}}” → “Hello {{name}}”');
    // Steps are named by their titles, never their ids ("wait", "welcome", "delay-…").
    expect(diff).not.toMatch(/delay-[a-z0-9]{6}|\bwelcome\b|“wait”/);
    expect(await text(page, 'draft-banner')).toContain('Runs use version 1 until you publish them as version 2');
    await saved(page);

    // The flows list says so too.
    await page.goto(`${product.web}/flows`);
    await page.getByTestId('flow-row-welcome').getByTestId('flow-unpublished').waitFor();

    // The start page names the version it will run, and warns that the draft's changes are not in it.
    await page.goto(`${product.web}/flows/welcome/run`);
    expect(await text(page, 'run-version')).toMatch(/This run uses version 1 \(the newest\), published .+ by /);
    expect(await text(page, 'unpublished-changes')).toContain('1 step added, 2 steps edited, 3 connections changed');

    // Publish with a note: version 2, the banner goes, the history shows the note and who published it.
    await page.goto(`${product.web}/flows/welcome`);
    await page.getByTestId('publish-note').fill('Shorter wait, friendlier subject');
    await page.getByTestId('publish-flow').click();
    await page.getByTestId('published-version').filter({ hasText: 'Published version 2' }).waitFor();
    await page.getByTestId('draft-banner').waitFor({ state: 'detached' });
    await page.getByTestId('version-2').filter({ hasText: 'Shorter wait, friendlier subject' }).waitFor();
    expect(await text(page, 'version-2')).toMatch(/ by \S/);
    expect(await text(page, 'version-1')).not.toContain('Shorter wait');

    await page.goto(`${product.web}/flows`);
    expect(await page.getByTestId('flow-row-welcome').textContent()).toContain('v2');
    expect(await page.getByTestId('flow-row-welcome').getByTestId('flow-unpublished').count()).toBe(0);
    await page.goto(`${product.web}/flows/welcome/run`);
    expect(await text(page, 'run-version')).toMatch(/version 2 \(the newest\).*“Shorter wait, friendlier subject”/);
    expect(await page.getByTestId('unpublished-changes').count()).toBe(0);
    // An older version chosen is named as not the newest.
    await page.getByTestId('version-select').selectOption('1');
    expect(await text(page, 'run-version')).toContain('version 1 (not the newest: version 2 is)');
    await browser.close();
  });

  it('refuses a note that is too long, naming the field', async () => {
    const answer = await product.admin.api<FlowPublished>('POST', '/api/flows/welcome/publish', { note: 'x'.repeat(501) });
    expect(answer.status).toBe(422);
    expect(issueFields(answer.error)).toEqual(['note']);
  });
});

describe('words, not ids', () => {
  const shots = process.env.DRIPLINE_SCREENSHOT_DIR;

  it('names problems and changes by the form’s labels with old → new, explains a long subject, keeps the save state true, and names the step in a contact’s history', async () => {
    const api = product.admin;
    // A journey an API event starts: a Send Email without a name of its own, then Exit.
    const flowId = (await api.api<FlowCreated>('POST', '/api/flows', { name: 'Receipts' })).data.id;
    const graph = {
      schemaVersion: 1,
      nodes: [
        { id: 'trigger', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'event', event: 'order_paid' } },
        {
          id: 'sendEmail-dut6hf',
          type: 'sendEmail',
          position: { x: 0, y: 150 },
          data: { profileId: SANDBOX_PROFILE_ID, subject: 'Your receipt', text: 'Thanks, {{name}}.' },
        },
        { id: 'exit-k2m9qa', type: 'exit', position: { x: 0, y: 300 }, data: {} },
      ],
      edges: [
        { id: 'e1', source: 'trigger', target: 'sendEmail-dut6hf' },
        { id: 'e2', source: 'sendEmail-dut6hf', target: 'exit-k2m9qa' },
      ],
    };
    expect((await api.api('PUT', `/api/flows/${flowId}`, { name: 'Receipts', graph })).status).toBe(200);
    await api.api<FlowPublished>('POST', `/api/flows/${flowId}/publish`).then((a) => a.data);
    const { key } = (await api.api<ApiKeyCreated>('POST', '/api/api-keys', { name: 'Shop' })).data;
    const event = await fetch(`${product.web}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ event: 'order_paid', email: 'buyer@example.test', name: 'Bea Buyer', idempotencyKey: 'order-1' }),
    });
    expect(event.status).toBe(202);
    const { contactId } = (await event.json()) as EventAnswer;

    // The contact's delivery history names the step as the canvas does, never its id.
    await eventually('the journey’s delivery to be logged', async () => {
      const found = (await api.api<ContactDeliveries>('GET', `/api/contacts/${contactId}/deliveries`)).data.deliveries;
      return found.some((d) => d.outcome === 'sent') ? found : undefined;
    });
    const browser = await product.logIn(admin, `/contacts/${contactId}`);
    const { page } = browser;
    const step = page.getByTestId('delivery-history').getByTestId('attempt-step').first();
    expect(await step.textContent()).toBe('Send Email “Your receipt”');
    expect(await page.getByTestId('delivery-history').textContent()).not.toContain('sendEmail-dut6hf');
    // A one-off message's subject over the limit is kept whole and explained under the field.
    await page.getByTestId('oneoff-subject').fill('S'.repeat(5000));
    expect((await page.getByTestId('oneoff-subject').inputValue()).length).toBe(5000);
    expect(await page.getByTestId('oneoff-subject-count').textContent()).toBe('5,000 of at most 998 characters: 4,002 too many; shorten it');
    if (shots) await page.screenshot({ path: `${shots}/contact-history.png`, fullPage: true });

    // In the editor: HTML with an empty body is a problem named by the field's label, not its key.
    await page.goto(`${product.web}/flows/${flowId}`);
    await page.getByTestId('node-sendEmail').click();
    const panel = page.getByTestId('node-panel');
    await panel.getByTestId('send-format').selectOption('html');
    await panel.getByTestId('send-html').fill('');
    const problems = page.getByTestId('flow-errors');
    await problems.filter({ hasText: 'HTML body:' }).waitFor();
    expect(await problems.textContent()).toContain('HTML body: write the HTML body, or choose "Text only"');
    expect(await problems.textContent()).not.toMatch(/\bhtml:/);
    if (shots) await problems.screenshot({ path: `${shots}/problem.png` });

    // The draft's changes: each field by its label, old → new, a long HTML body shortened around what changed.
    await panel.getByTestId('send-html').fill(`<p>Thanks for your order.</p>${'<p>Your items are on their way.</p>'.repeat(40)}`);
    await panel.getByLabel('Subject').fill('Your receipt from Dripline');
    await page.getByTestId('draft-summary').click();
    const diff = page.getByTestId('draft-diff');
    await diff.filter({ hasText: 'Subject: “Your receipt” → “Your receipt from Dripline”' }).waitFor();
    const diffText = (await diff.textContent()) ?? '';
    expect(diffText).toContain('Body: Text only → HTML');
    expect(diffText).toMatch(/HTML body: \(empty\) → “<p>Thanks for your order\.<\/p><p>Your items [^”]*…”/);
    expect(diffText).not.toMatch(/profileId|\(subject\)|sendEmail-dut6hf/);
    await saved(page);
    if (shots) await page.screenshot({ path: `${shots}/draft-diff.png`, fullPage: true });

    // A 5,000-character subject is kept whole and explained where it is typed; the draft is not saved until it is shortened.
    const subject = panel.getByLabel('Subject');
    await subject.fill('S'.repeat(5000));
    expect((await subject.inputValue()).length).toBe(5000);
    await panel.locator('.field-error', { hasText: 'subject must be at most 998 characters; this one has 5,000: shorten it' }).waitFor();
    const state = page.getByTestId('save-state');
    await page.locator('[data-testid="save-state"][data-state="blocked"]').waitFor();
    expect(await state.textContent()).toMatch(/^Not saved yet: Subject on Send Email “S+…”: subject must be at most 998 characters/);
    if (shots) await page.screenshot({ path: `${shots}/long-subject.png`, fullPage: true });
    await subject.fill('S'.repeat(950));
    expect(await panel.getByTestId('subject-count').textContent()).toBe('950 of at most 998 characters');
    await saved(page);

    // Save without a name says why; once named, the draft saves and nothing says otherwise.
    await page.getByTestId('flow-name').fill('');
    await page.getByTestId('save-flow').click();
    const notice = page.locator('.notice', { hasText: 'Not saved yet: Give the flow a name' });
    await notice.waitFor();
    await page.getByTestId('flow-name').fill('Receipts, paid orders');
    await saved(page);
    await notice.waitFor({ state: 'detached' });
    expect(await page.locator('.editor').textContent()).not.toContain('Not saved yet');
    if (shots) await page.screenshot({ path: `${shots}/saved.png`, fullPage: true });
    // A step name stops at its limit, and says so.
    await panel.getByTestId('step-name').fill('N'.repeat(100));
    expect((await panel.getByTestId('step-name').inputValue()).length).toBe(80);
    await panel.getByText('80 of at most 80 characters').waitFor();
    await browser.close();
  });
});

describe('archiving and deleting flows', () => {
  const row = (page: Page, id: string) => page.getByTestId(`flow-row-${id}`);

  it('archives a flow out of the list and restores it, and deletes one only once confirmed', async () => {
    const id = (await product.admin.api<FlowCreated>('POST', '/api/flows', { name: 'Spring sale' })).data.id;
    const browser = await product.logIn(admin, '/flows');
    const { page } = browser;
    await row(page, id).getByTestId('archive-flow').click();
    await row(page, id).waitFor({ state: 'detached' });
    await page.getByTestId('archived-flows').click();
    await page.waitForURL((url) => url.search === '?archived=1');
    await row(page, id).getByTestId('restore-flow').click();
    await row(page, id).waitFor({ state: 'detached' });
    await page.getByTestId('flows-in-use').click();
    await row(page, id).waitFor();

    // Delete asks first; Cancel keeps the flow.
    await row(page, id).getByTestId('delete-flow').click();
    expect(await row(page, id).getByTestId('confirm-delete').textContent()).toContain('Delete “Spring sale” for good?');
    await row(page, id).getByTestId('confirm-delete-no').click();
    await row(page, id).getByTestId('delete-flow').click();
    await row(page, id).getByTestId('confirm-delete-yes').click();
    await row(page, id).waitFor({ state: 'detached' });
    expect((await product.admin.api('GET', `/api/flows/${id}`)).status).toBe(404);
    await browser.close();
  });

  it('refuses to delete a flow while a run of it is in flight, saying why, and deletes it once the run is over', async () => {
    const welcome = FlowGraph.parse((await product.admin.api<FlowResponse>('GET', '/api/flows/welcome')).data.graph);
    // The sample flow, waiting an hour before it sends: its run stays in flight.
    const graph = {
      ...welcome,
      nodes: welcome.nodes.map((n) => (n.type === 'delay' ? { ...n, data: { mode: 'fixed', amount: 1, unit: 'hours' } } : n)),
    };
    const id = 'slow-flow';
    await product.admin.api('PUT', `/api/flows/${id}`, { name: 'Slow flow', graph }).then((a) => a.data);
    const version = (await product.admin.api<FlowPublished>('POST', `/api/flows/${id}/publish`)).data.version;
    const run = (await product.admin.api<RunStarted>('POST', '/api/runs', { flowId: id, version, contactIds: ['ct_ada'] })).data;

    const browser = await product.logIn(admin, '/flows');
    const { page } = browser;
    await row(page, id).getByTestId('delete-flow').click();
    await row(page, id).getByTestId('confirm-delete-yes').click();
    const error = row(page, id).getByTestId('flow-action-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/“Slow flow” cannot be deleted while 1 run of it is still going; .*cancel it/);
    await page.reload();
    await row(page, id).waitFor();

    const refused = await product.admin.api('DELETE', `/api/flows/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.error.code).toBe('runs_in_flight');

    // Once the run is over, the flow can go; the run keeps its history.
    await product.admin.api('POST', `/api/runs/${run.runId}/cancel`).then((a) => a.data);
    await settledRun(product.admin, run.runId);
    expect((await product.admin.api('DELETE', `/api/flows/${id}`)).status).toBe(204);
    expect((await product.admin.api('GET', `/api/flows/${id}`)).status).toBe(404);
    expect((await product.admin.api('GET', `/api/runs/${run.runId}`)).status).toBe(200);
    // Its id stays taken: saving a draft under it does not bring it back.
    expect((await product.admin.api('PUT', `/api/flows/${id}`, { name: 'Again', graph })).status).toBe(404);
    await page.reload();
    await row(page, id).waitFor({ state: 'detached' });
    await browser.close();
  });
});
