/**
 * Drafts and versions in a real browser: a published flow, edited, says what its draft changes (by step
 * titles) and that runs still use the published version; Publish takes a note, the history shows who
 * published what when; the start page names the version it runs.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowGraph } from '../../domain/flow/schema';
import type { FlowCreated, FlowPublished, FlowResponse, RunStarted } from '../../web/lib/api-types';
import { admin, issueFields, Product, saved, settledRun } from './product';

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
    expect(diff).toContain('Delay “Short wait” (name)');
    expect(diff).toContain('Send Email “Hello {{name}}” (subject)');
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
