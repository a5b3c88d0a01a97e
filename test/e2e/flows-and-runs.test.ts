/**
 * The sample flow, published in the editor and run from the browser for two contacts found by search,
 * after its review (count, senders, forecast), through to the sandbox mailbox and the run's report (sends
 * per minute, each step's figures on the canvas); then scheduled for tomorrow from the start page,
 * rescheduled and cancelled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxMessageList } from '../../web/lib/api-types';
import { admin, Product, waitForText } from './product';

let product: Product;

beforeAll(async () => {
  product = await Product.start('flows-and-runs');
});

afterAll(async () => {
  await product?.stop();
});

describe('flows and runs', () => {
  it('publishes the sample flow in the editor, reviews a run for 2 contacts found by search, starts it, and sees them sent', async () => {
    const list = await product.admin.api('POST', '/api/lists', { name: 'Early birds' });
    expect(list.status, list.text).toBe(201);
    const browser = await product.logIn(admin, '/flows/welcome');
    const { page } = browser;
    for (const type of ['trigger', 'delay', 'sendEmail', 'exit']) {
      await page.getByTestId(`node-${type}`).first().waitFor({ timeout: 60_000 });
    }
    await page.getByTestId('publish-flow').click();
    await page
      .getByTestId('published-version')
      .filter({ hasText: /Published version \d+/ })
      .waitFor();
    const opened = Date.now();
    await page.getByTestId('start-run-link').click();

    // Nothing is chosen, and there is nothing to start yet.
    await page.getByTestId('review-waiting').waitFor();
    expect(await page.getByTestId('start-run').count()).toBe(0);
    expect(await page.getByTestId('audience').locator('input[type="radio"]:checked').count()).toBe(0);
    // One search over lists and segments.
    await page.getByTestId('audience-search').fill('early');
    await expect.poll(() => page.getByTestId('audience-list-option').allTextContents()).toEqual(['Early birds (list, 0 subscribed)']);
    await page.getByTestId('audience-search').fill('nothing like it');
    await expect.poll(() => page.getByTestId('audience-list-option').count()).toBe(0);

    // Two contacts, each found by a search on the server, shown as chips.
    await page.getByTestId('audience-contacts').check();
    for (const [query, id] of [
      ['ada@', 'ct_ada'],
      ['Grace', 'ct_grace'],
    ] as const) {
      await page.getByTestId('contact-search').fill(query);
      await expect.poll(() => page.getByTestId('contact-results').locator('li').count()).toBe(1);
      await page.getByTestId(`choose-contact-${id}`).click();
    }
    expect(await page.getByTestId('chosen-contact').count()).toBe(2);
    const review = page.getByTestId('run-review');
    expect(await review.getByTestId('review-audience').getAttribute('data-count')).toBe('2');
    expect(await review.getByTestId('review-version').textContent()).toMatch(/^version \d+$/);
    expect(await review.getByTestId('review-senders').textContent()).toContain('Sandbox');
    expect(await review.getByTestId('review-schedule').textContent()).toBe('now');
    // The sample flow waits a Delay of up to 3 seconds before its Send: the forecast counts it.
    const forecast = Date.parse((await review.getByTestId('review-forecast').getAttribute('data-at')) ?? '');
    expect(forecast).toBeGreaterThanOrEqual(opened + 3000);
    expect(forecast).toBeLessThan(opened + 3_600_000);
    expect(await page.getByTestId('start-run').textContent()).toBe('Start run for 2 contacts');
    await page.getByTestId('start-run').click();
    await page.waitForURL(/\/runs\/run_/);
    await waitForText(page, '[data-testid^="run-contact-"] [data-testid="status"]', 'completed', 2);

    for (const id of ['ct_ada', 'ct_grace']) {
      await expect.poll(() => page.getByTestId(`run-contact-${id}`).getByTestId('status').textContent()).toBe('completed');
    }
    // A true state once it is done: completed, no estimate, nothing that says it goes on.
    await expect.poll(() => page.getByTestId('run-status').textContent()).toBe('completed');
    expect(await page.getByTestId('run-estimated-finish').count()).toBe(0);
    expect(await page.getByTestId('run-controls').count()).toBe(0);
    const attempts = await page.getByTestId('attempt-row').allTextContents();
    expect(attempts).toHaveLength(2);
    for (const row of attempts) expect(row).toMatch(/250 .*queued as sandbox-/);
    // The report: sends per minute (2 accepted), and the version's canvas with each step's figures.
    await page.getByTestId('sends-chart').waitFor();
    const accepted = await page
      .getByTestId('sends-table')
      .locator('tbody tr td:nth-child(2)')
      .evaluateAll((cells) => cells.reduce((n, c) => n + Number(c.textContent), 0));
    expect(accepted).toBe(2);
    await expect.poll(() => page.getByTestId('step-figures-welcome').textContent(), { timeout: 30_000 }).toMatch(/2 entered\s*2 moved on/);
    expect(await page.getByTestId('step-figures-wait').textContent()).toMatch(/2 entered\s*2 moved on/);
    expect(await page.getByTestId('step-figures-done').textContent()).toMatch(/2 entered/);
    expect(await page.locator('.step-edge .react-flow__edge-text').allTextContents()).toEqual(['2', '2', '2']);
    const links = await page.getByTestId('temporal-link').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(links.length).toBeGreaterThanOrEqual(2);
    for (const href of links) expect(href).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${product.ports.ui}/namespaces/default/workflows/campaign`));

    const messages = (await product.admin.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data;
    expect(messages.map((m) => m.toHeader).sort()).toEqual(['"Ada Lovelace" <ada@example.test>', '"Grace Hopper" <grace@example.test>']);
    for (const m of messages) {
      expect(m.fromHeader).toBe('"Dripline Sandbox" <hello@dripline.test>');
      expect(m.replyTo).toBe('support@dripline.test');
      expect(m.subject).toMatch(/^Welcome to Dripline, (Ada Lovelace|Grace Hopper)$/);
    }

    await page.goto(`${product.web}/sandbox`);
    await page.getByTestId('sandbox-message').nth(1).waitFor();
    await browser.close();
  });

  it('schedules a run for tomorrow from the start page, reschedules it, and cancels it before anything is sent', async () => {
    const browser = await product.logIn(admin, '/flows/welcome/run');
    const { page } = browser;
    page.on('dialog', (dialog) => void dialog.accept());
    const before = (await product.admin.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data.length;
    // The browser's own local time, a day (and two) from now, as a datetime-local input takes it.
    const inDays = (days: number) =>
      page.evaluate((d) => {
        const at = new Date(Date.now() + d * 86_400_000);
        const p = (n: number) => String(n).padStart(2, '0');
        return `${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())}T${p(at.getHours())}:${p(at.getMinutes())}`;
      }, days);
    const isoOf = (local: string) => page.evaluate((l) => new Date(l).toISOString(), local);

    await page.getByTestId('audience-all').check();
    await page.getByTestId('start-later').check();
    await page.getByTestId('start-run').click();
    await expect.poll(() => page.getByTestId('api-error').textContent()).toBe('Choose the date and time to start at, or choose Start now.');

    const tomorrow = await inDays(1);
    await page.getByTestId('start-at').fill(tomorrow);
    await page.getByTestId('spread-hours').fill('2');
    await page.getByTestId('start-run').click();
    await page.waitForURL(/\/runs\/run_/);
    const runId = page.url().split('/runs/')[1]?.split(/[?#]/)[0] ?? '';
    await expect.poll(() => page.getByTestId('run-status').textContent()).toBe('scheduled');
    expect(await page.getByTestId('run-start-at').getAttribute('data-at')).toBe(await isoOf(tomorrow));
    expect(await page.getByTestId('run-schedule').textContent()).toContain('its first send spread over 2 hours');

    const later = await inDays(2);
    await page.getByTestId('reschedule-at').fill(later);
    await page.getByTestId('reschedule-run').click();
    const moved = await isoOf(later);
    await expect.poll(() => page.getByTestId('run-start-at').getAttribute('data-at')).toBe(moved);

    const past = await product.admin.api('POST', `/api/runs/${runId}/reschedule`, { startAt: '2020-01-01T09:00:00Z' });
    expect(past.status).toBe(422);
    expect(past.error).toMatchObject({ code: 'invalid_start_at', details: { field: 'startAt' } });
    expect(past.error.message).toMatch(/^startAt must be in the future/);

    const start = { flowId: 'welcome', version: 1, audience: { kind: 'contacts', contactIds: ['ct_ada'] } };
    const passed = await product.admin.api('POST', '/api/runs', { ...start, startAt: '2020-01-01T09:00:00Z' });
    expect(passed.status).toBe(422);
    expect(passed.error).toMatchObject({ code: 'invalid_start_at', details: { field: 'startAt' } });
    const tooShort = await product.admin.api('POST', '/api/runs', { ...start, spreadHours: 0 });
    expect(tooShort.status).toBe(422);
    expect(tooShort.error.message).toBe('invalid request: spreadHours: spreadHours must be at least 1');

    await page.getByTestId('cancel-run').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 60_000 }).toBe('cancelled');
    expect((await product.admin.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data).toHaveLength(before);
    await browser.close();
  });
});
