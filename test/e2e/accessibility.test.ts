/**
 * Accessibility in a real browser: axe-core (the engine browser extensions and CI tools use) scans the
 * flow editor (with a node selected, and with a connection's step picker open), a run page, the start
 * page (with its list and segment choices), the contacts, a contact, an import, the segments, the lists,
 * a list, the runs, archived flows, the login page, the settings pages (the API page and the event log
 * included) and the sandbox mailbox with a message open, and finds no violation of serious or critical
 * impact.
 *
 * The product starts as a fresh install, so this file also shows the getting-started checklist above
 * the flows list (issue 24): nothing done at first, each step ticking as it is done (an import, a test
 * email through the sandbox, a flow drawn, a run), dismissed per user, gone once all is done; and counts
 * in the reader's locale (1,200 / 1.200). DRIPLINE_SCREENSHOT_DIR, when set, receives screenshots.
 */
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowPublished, ImportStatusResponse, ImportUploadResponse, ListsResponse, RunStarted } from '../../web/lib/api-types';
import { admin, eventually, Product, sendGraph, settledRun } from './product';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const shots = process.env.DRIPLINE_SCREENSHOT_DIR;
/** The contacts the checklist's import adds: over a thousand, so counts show a thousands separator. */
const IMPORTED = 1200;
/** The checklist test's import, whose page the page sweep scans. */
let importId = '';

let product: Product;

beforeAll(async () => {
  product = await Product.start('accessibility');
});

afterAll(async () => {
  await product?.stop();
});

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** The page's serious and critical axe violations, each with the elements it found them on. */
async function seriousViolations(page: Page): Promise<Violation[]> {
  await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations as { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
}

async function expectAccessible(page: Page, what: string): Promise<void> {
  const found = await seriousViolations(page);
  expect(found, `${what}: ${JSON.stringify(found, null, 1)}`).toEqual([]);
}

/** Each checklist step's state as the flows page shows it, by step. */
async function checklist(page: Page): Promise<Record<string, string | null>> {
  const steps = {} as Record<string, string | null>;
  for (const key of ['sending', 'contacts', 'flow', 'run']) steps[key] = await page.getByTestId(`getting-started-${key}`).getAttribute('data-done');
  return steps;
}

describe('a fresh install opens on a getting-started checklist', () => {
  it('shows every step to do, ticks each as it is done, is dismissed per user and goes once all is done', async () => {
    const browser = await product.logIn(admin, '/flows');
    const { page } = browser;
    await page.getByTestId('getting-started').waitFor();
    expect(await checklist(page)).toEqual({ sending: 'false', contacts: 'false', flow: 'false', run: 'false' });
    await expectAccessible(page, 'the flows list with the checklist');
    if (shots) await page.screenshot({ path: `${shots}/getting-started-fresh.png`, fullPage: true });
    // Each undone step links to where it is done.
    expect(await page.getByTestId('getting-started-contacts').getByRole('link').getAttribute('href')).toBe('/contacts/import');
    expect(await page.getByTestId('getting-started-sending').getByRole('link').getAttribute('href')).toBe('/settings/smtp');

    // Dismissed in another browser: gone there, for good, and still shown here.
    const other = await product.logIn(admin, '/flows');
    await other.page.getByTestId('dismiss-getting-started').click();
    await other.page.getByTestId('getting-started').waitFor({ state: 'detached' });
    await other.page.reload();
    await other.page.getByTestId('flow-row-welcome').waitFor();
    expect(await other.page.getByTestId('getting-started').count()).toBe(0);
    await other.close();

    // Contacts: an import of a CSV file, into a new list.
    const csv = `email,name\n${Array.from({ length: IMPORTED }, (_, i) => `reader-${i}@import.test,Reader ${i}`).join('\n')}\n`;
    const res = await fetch(`${product.web}/api/imports?name=readers.csv`, {
      method: 'POST',
      headers: { cookie: product.admin.cookie, origin: product.web, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(res.status).toBe(201);
    const uploaded = (await res.json()) as ImportUploadResponse;
    importId = uploaded.id;
    await product.admin
      .api('POST', `/api/imports/${uploaded.id}/start`, { mapping: [{ to: 'email' }, { to: 'name' }], newList: 'Readers' })
      .then((a) => a.data);
    await eventually(
      'the import to finish',
      async () => (await product.admin.api<ImportStatusResponse>('GET', `/api/imports/${uploaded.id}`)).data.import.status === 'done',
      { timeoutMs: 120_000 },
    );
    await page.reload();
    expect(await checklist(page)).toEqual({ sending: 'false', contacts: 'true', flow: 'false', run: 'false' });

    // Sending: a test email through the sandbox.
    const tested = await product.admin.api('POST', '/api/smtp-profiles/sandbox/test-email', { to: 'me@example.test' });
    expect(tested.status, tested.text).toBe(200);
    await eventually('the test email to reach the sandbox mailbox', async () => {
      await page.reload();
      return (await checklist(page)).sending === 'true';
    });
    expect(await checklist(page)).toEqual({ sending: 'true', contacts: 'true', flow: 'false', run: 'false' });

    // A flow of one's own, then its first run.
    expect((await product.admin.api('PUT', '/api/flows/first-flow', { name: 'First flow', graph: sendGraph('sandbox') })).status).toBe(200);
    await page.reload();
    expect(await checklist(page)).toEqual({ sending: 'true', contacts: 'true', flow: 'true', run: 'false' });
    if (shots) await page.screenshot({ path: `${shots}/getting-started-ticked.png`, fullPage: true });
    const version = (await product.admin.api<FlowPublished>('POST', '/api/flows/first-flow/publish')).data.version;
    await page.reload();
    expect(await page.getByTestId('getting-started-run').getByRole('link').getAttribute('href')).toBe(`/flows/first-flow/run?version=${version}`);
    const run = (await product.admin.api<RunStarted>('POST', '/api/runs', { flowId: 'first-flow', version, contactIds: ['ct_ada'] })).data;
    await settledRun(product.admin, run.runId);
    await page.reload();
    await page.getByTestId('flow-row-first-flow').waitFor();
    expect(await page.getByTestId('getting-started').count()).toBe(0);
    await browser.close();
  });

  it("shows counts in the reader's locale: 1,200 for en-US, 1.200 for de-DE, on the contacts, the lists and a list", async () => {
    const lists = (await product.admin.api<ListsResponse>('GET', '/api/lists')).data.lists;
    const readers = lists.find((l) => l.name === 'Readers');
    if (!readers) throw new Error('the import made no Readers list');
    const total = IMPORTED + 3; // and the three sample contacts
    const browser = await product.logIn(admin, '/contacts');
    const { page } = browser;
    for (const [locale, thousands] of [
      ['en-US', ','],
      ['de-DE', '.'],
    ] as const) {
      await browser.context.setExtraHTTPHeaders({ 'accept-language': `${locale},en;q=0.5` });
      const n = (value: number) => `${Math.floor(value / 1000)}${thousands}${String(value % 1000).padStart(3, '0')}`;
      await page.goto(`${product.web}/contacts`);
      expect(await page.getByTestId('contact-total').textContent()).toBe(`${n(total)} contacts`);
      expect(await page.getByTestId('pager-range').textContent()).toBe(`1–50 of ${n(total)}`);
      if (shots) await page.screenshot({ path: `${shots}/contacts-${locale}.png`, fullPage: false });
      await page.goto(`${product.web}/lists`);
      expect(await page.getByTestId(`list-row-${readers.id}`).locator('td').nth(1).textContent()).toBe(n(IMPORTED));
      await page.goto(`${product.web}/lists/${readers.id}?offset=1150`);
      expect(await page.getByTestId('list-counts').textContent()).toContain(`${n(IMPORTED)} members, ${n(IMPORTED)} subscribed`);
      expect(await page.getByTestId('pager-range').textContent()).toBe(`1${thousands}151–${n(IMPORTED)} of ${n(IMPORTED)}`);
    }
    // The pager's parts stand apart: a gap between the link and the range, not run into each other.
    const [previous, range] = await Promise.all([page.getByText('← Previous').boundingBox(), page.getByTestId('pager-range').boundingBox()]);
    if (!previous || !range) throw new Error('the pager is not on screen');
    expect(range.x - (previous.x + previous.width)).toBeGreaterThanOrEqual(8);
    if (shots) await page.getByRole('navigation', { name: 'pages' }).screenshot({ path: `${shots}/pager-de-DE.png` });
    await browser.close();
  });
});

describe('axe-core finds no serious or critical violations', () => {
  it('on the flow editor, with a node selected and with the step picker open', async () => {
    const browser = await product.logIn(admin, '/flows/welcome');
    const { page } = browser;
    await page.getByTestId('node-sendEmail').waitFor({ timeout: 60_000 });
    await expectAccessible(page, 'the editor');
    await page.getByTestId('node-sendEmail').click();
    await page.getByTestId('node-panel').waitFor();
    await expectAccessible(page, 'the editor with a Send Email selected');

    // The banner of unpublished changes, after a publish and an edit.
    await page.getByTestId('publish-flow').click();
    await page.getByTestId('published-version').waitFor();
    await page.getByTestId('node-panel').getByLabel('Subject').fill('Changed subject');
    await page.getByTestId('draft-banner').waitFor();
    await page.getByTestId('draft-summary').click();
    await page.getByTestId('draft-diff').waitFor({ state: 'visible' });
    // A connection dropped on empty canvas opens the step picker.
    const handle = page.locator('.react-flow__node[data-id="done"]').locator('.react-flow__handle.target');
    const box = await handle.boundingBox();
    const pane = await page.locator('.react-flow__pane').boundingBox();
    if (!box || !pane) throw new Error('not on screen');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(pane.x + pane.width - 60, pane.y + 60, { steps: 10 });
    await page.mouse.up();
    await page.getByTestId('step-picker').waitFor();
    await expectAccessible(page, 'the editor with the banner and the step picker');
    await browser.close();
  });

  it('on a run page', async () => {
    const version = (await product.admin.api<FlowPublished>('POST', '/api/flows/welcome/publish')).data.version;
    const run = (await product.admin.api<RunStarted>('POST', '/api/runs', { flowId: 'welcome', version, contactIds: ['ct_ada', 'ct_grace'] })).data;
    await settledRun(product.admin, run.runId);
    const browser = await product.logIn(admin, `/runs/${run.runId}`);
    const { page } = browser;
    await page.getByTestId('attempt-row').first().waitFor();
    await expectAccessible(page, 'the run page');
    await page.goto(`${product.web}/flows/welcome/run`);
    await expectAccessible(page, 'the start page');
    await page.goto(`${product.web}/flows`);
    await expectAccessible(page, 'the flows list');
    await browser.close();
  });

  it('on the start page with its list and segment choices, and on the contacts, lists and runs pages', async () => {
    const segment = await product.admin.api<{ id: string }>('POST', '/api/segments', {
      name: 'Everyone with an email',
      filter: { match: 'all', rules: [{ field: 'email', op: 'exists' }] },
    });
    expect(segment.status, segment.text).toBe(201);
    const list = (await product.admin.api<ListsResponse>('GET', '/api/lists')).data.lists[0];
    if (!list) throw new Error('no list: the checklist test imports into one');
    const browser = await product.logIn(admin, '/flows/first-flow/run');
    const { page } = browser;
    await page.getByTestId(`audience-list-${list.id}`).waitFor();
    await page.getByTestId(`audience-segment-${segment.data.id}`).check();
    await page.locator('[data-testid="review-audience"][data-count]').waitFor();
    await expectAccessible(page, 'the start page with a list and a segment to choose, and its review');
    // The search is named by a label of its own, not by the radio buttons beside it.
    await page.getByRole('searchbox', { name: 'Search lists and segments' }).waitFor();
    if (shots) await page.screenshot({ path: `${shots}/start-page.png` });
    for (const path of [
      '/contacts',
      '/contacts/ct_ada',
      '/contacts/import',
      `/contacts/import/${importId}`,
      '/contacts/segments',
      '/contacts/segments/new',
      `/contacts/segments/${segment.data.id}`,
      '/contacts/suppressions',
      '/lists',
      `/lists/${list.id}`,
      '/runs',
      '/flows?archived=1',
    ]) {
      await page.goto(`${product.web}${path}`);
      await page.locator('main h1').first().waitFor();
      await expectAccessible(page, path);
      if (path === '/contacts/ct_ada') {
        for (const name of ['New attribute name', 'New attribute value']) await page.getByRole('textbox', { name }).waitFor();
        await page.getByRole('combobox', { name: 'New attribute type' }).waitFor();
      }
    }
    await browser.close();
    const signedOut = await product.newBrowserSession();
    await signedOut.page.goto(`${product.web}/login`);
    await signedOut.page.getByTestId('login-email').waitFor();
    await expectAccessible(signedOut.page, 'the login page');
    await signedOut.context.close();
  });

  it('on the settings pages', async () => {
    const browser = await product.logIn(admin, '/settings/smtp');
    const { page } = browser;
    for (const path of [
      '/settings',
      '/settings/smtp',
      '/settings/smtp/new',
      '/settings/smtp/sandbox',
      '/settings/users',
      '/settings/api-keys',
      '/settings/api-keys/events',
      '/settings/frequency-cap',
    ]) {
      await page.goto(`${product.web}${path}`);
      await page.locator('main').waitFor();
      await expectAccessible(page, path);
    }
    await browser.close();
  });

  it('on the sandbox mailbox, with a message open on each of its tabs', async () => {
    // The run of the test before mailed the seeded contacts through the sandbox.
    const browser = await product.logIn(admin, '/sandbox');
    const { page } = browser;
    await page.getByTestId('sandbox-message').first().waitFor();
    await expectAccessible(page, 'the sandbox mailbox');
    await page.getByTestId('sandbox-message').first().click();
    await page.getByTestId('sandbox-message-view').waitFor();
    for (const tab of ['html', 'text', 'headers', 'source']) {
      await page.getByTestId(`message-tab-${tab}`).click();
      await expect.poll(() => page.getByTestId(`message-tab-${tab}`).getAttribute('aria-selected')).toBe('true');
      await expectAccessible(page, `the sandbox mailbox's ${tab} tab`);
    }
    await browser.close();
  });
});
