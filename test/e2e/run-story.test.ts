/**
 * Issue 21's closing test, on the whole product in a real browser: a 1,000-recipient campaign started from
 * the start page against the sandbox refusing one address in five at RCPT TO and dropping one message in ten
 * after its DATA; the report fills to the final numbers; the delivery log filtered to failures; a failed
 * recipient's story (the drawn wait, the window, the attempt with the server's reply); "send to the failed
 * and the uncertain" as a linked run that reaches exactly them; a tracked link clicked in a sandbox message,
 * counted in the report, and the Condition sending that reader (and only them) the follow-up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { parseFaults, rejectsRecipient } from '../../server/sandbox-faults';
import type { RunAnswer, SandboxMessageList } from '../../web/lib/api-types';
import type { ReconciliationAnswer } from '../../web/lib/run-log-api';
import type { ReconcileSet } from '../../domain/delivery-log';
import { admin, type BrowserSession, eventually, portsFor, Product } from './product';
import {
  clickOffer,
  endTheWait,
  holdUncertainSends,
  importReaders,
  offerTarget,
  publishStoryFlow,
  readerEmails,
  STORY_FAULTS,
  startForList,
} from './run-story-flow';

const AUDIENCE = 1000;
const emails = readerEmails(AUDIENCE);
const rejected = new Set(emails.filter((email) => rejectsRecipient(parseFaults(STORY_FAULTS), email)));
/** Every 10th message that reaches the end of its DATA is dropped: of those not refused at RCPT TO, exactly a tenth. */
const reachedData = AUDIENCE - rejected.size;
const dropped = Math.floor(reachedData / 10);
const received = reachedData - dropped;

let product: Product;
let browser: BrowserSession;
let page: Page;
let runId = '';

beforeAll(async () => {
  // Tracked links point where the browser reaches the app (the sandbox's message frame may go only there).
  product = await Product.start('run-story', { SANDBOX_FAULTS: STORY_FAULTS, DRIPLINE_PUBLIC_URL: `http://127.0.0.1:${portsFor('run-story').web}` });
  await importReaders(product, AUDIENCE, 'Spring readers');
  await holdUncertainSends(product);
  await publishStoryFlow(product, 'spring');
  browser = await product.logIn(admin, '/flows/spring/run');
  page = browser.page;
});
afterAll(async () => {
  await browser?.close();
  await product?.stop();
});

/** Every recipient of a set of a run: their email by contact id (the API's pages of up to 500). */
async function setOf(run: string, set: ReconcileSet): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  let after = '';
  do {
    const answer = (
      await product.admin.api<ReconciliationAnswer>('GET', `/api/runs/${run}/reconciliation?set=${set}&limit=500${after ? `&after=${after}` : ''}`)
    ).data;
    for (const r of answer.list?.items ?? []) ids.set(r.contactId, r.email);
    after = answer.list?.next ?? '';
  } while (after);
  return ids;
}

const sorted = (ids: Iterable<string>) => [...ids].sort();
const n = (v: number) => v.toLocaleString('en-US');

describe('a 1,000-recipient campaign against a misbehaving server', () => {
  it('starts from the start page for a list of 1,000 and watches the report fill to the final numbers', async () => {
    expect(rejected.size).toBeGreaterThan(150);
    expect(rejected.size).toBeLessThan(250);
    runId = await startForList(page, 'Spring readers', AUDIENCE);

    // The page refreshes itself: the totals reach every accepted and every refused message.
    const totals = page.getByTestId('totals-chart');
    await expect
      .poll(() => totals.getAttribute('aria-label'), { timeout: 300_000, interval: 1000 })
      .toBe(`Totals so far: ${received} accepted, ${rejected.size} failed, of ${AUDIENCE} recipients.`);
    await expect.poll(() => page.getByTestId('count-held').locator('dd').textContent(), { timeout: 60_000 }).toBe(String(dropped));
    expect(await page.getByTestId('count-failed').locator('dd').textContent()).toBe(String(rejected.size));
    // Each step on the canvas: the offer reached by all, refused for some, the dropped held for review as uncertain.
    await expect
      .poll(() => page.getByTestId('step-figures-offer').textContent(), { timeout: 60_000 })
      .toBe(`1,000 entered${n(received)} moved on${n(rejected.size)} failed${n(dropped)} held${n(dropped)} uncertain`);
    await expect.poll(() => page.getByTestId('step-figures-draw').textContent(), { timeout: 60_000 }).toBe('1,000 entered1,000 moved on');
    // (What entered a step is counted by minute: it may trail where recipients are by a refresh.)
    await expect
      .poll(() => page.getByTestId('step-figures-wait').textContent(), { timeout: 60_000 })
      .toBe(`${n(received)} entered${n(received)} waiting`);
  }, 400_000);

  it('filters the delivery log to failures and opens a failed recipient’s story: the drawn wait, the window, the refused attempt', async () => {
    await page.getByLabel('Outcome').selectOption('failed');
    await page.getByTestId('log-filter-submit').click();
    await page.waitForURL(/outcome=failed/);
    const rows = page.getByTestId('attempt-row');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(50);
    expect(new Set(await rows.locator('.status').allTextContents())).toEqual(new Set(['failed']));
    for (const row of await rows.allTextContents()) {
      expect(row).toContain('550 5.1.1 Mailbox unavailable');
      expect([...rejected].some((email) => row.includes(email))).toBe(true);
    }

    // From who got it: the failed, then one of them, then their delivery's story.
    await page.getByTestId('reconcile-now').click();
    const reconciliation = page.getByTestId('reconciliation');
    await expect
      .poll(() => reconciliation.getByTestId('reconcile-failed').getByTestId('count').textContent(), { timeout: 30_000 })
      .toBe(String(rejected.size));
    expect(await reconciliation.getByTestId('reconcile-failed-rejected').textContent()).toContain(String(rejected.size));
    expect(await reconciliation.getByTestId('reconcile-uncertain').getByTestId('count').textContent()).toBe(String(dropped));
    expect(await reconciliation.getByTestId('reconcile-received').getByTestId('count').textContent()).toBe(String(received));
    await reconciliation.getByRole('link', { name: 'Failed' }).click();
    const first = page.getByTestId('reconcile-list').locator('a').first();
    await first.waitFor();
    const email = (await first.textContent()) ?? '';
    expect(rejected.has(email)).toBe(true);
    await first.click();
    await page.waitForURL(/\/contacts\//);
    await page.locator(`[data-testid="delivery-story-link"][href^="/runs/${runId}/recipients/"]`).click();
    await page.waitForURL(new RegExp(`/runs/${runId}/recipients/`));
    const story = page.getByTestId('story');
    expect(await story.locator('li').evaluateAll((items) => items.map((li) => li.getAttribute('data-testid')))).toEqual([
      'story-entered',
      'story-delay',
      'story-window',
      'story-attempt',
    ]);
    expect(await story.getByTestId('story-delay').textContent()).toMatch(/Waited [123] s \(drawn between 1 s and 3 s\)/);
    expect(await story.getByTestId('story-window').textContent()).toMatch(/The send window (was open|opened at)/);
    expect(await story.getByTestId('story-attempt').textContent()).toContain('Attempt #1: failed.');
    expect(await story.getByTestId('story-reply').textContent()).toMatch(/^550 .*Mailbox unavailable.*The server refused it for good/);
    expect(await page.getByTestId('story-now').textContent()).toContain('failed');
  });

  it('sends to the failed and the uncertain as a linked run that reaches exactly them', async () => {
    const missed = new Set([...(await setOf(runId, 'failed')).keys(), ...(await setOf(runId, 'uncertain')).keys()]);
    expect(missed.size).toBe(rejected.size + dropped);
    await page.goto(`${product.web}/runs/${runId}?reconcile=1#reconciliation`);
    await page.getByTestId('send-to-failed-and-uncertain').click();
    await page.getByTestId('run-source').waitFor();
    const resendId = page.url().split('/runs/')[1]?.split(/[?#]/)[0] ?? '';
    expect(resendId).not.toBe(runId);
    expect(await page.getByTestId('run-source').textContent()).toContain(`of run ${runId}`);
    expect(await page.getByTestId('run-source').textContent()).toContain(`(${missed.size} recipients)`);

    const resend = (await product.admin.api<{ items: { id: string }[]; total: number }>('GET', `/api/runs/${resendId}/recipients?limit=500`)).data;
    expect(resend.total).toBe(missed.size);
    expect(sorted(resend.items.map((r) => r.id))).toEqual(sorted(missed));
    // Each of them is tried (the refused are refused again), and nobody else.
    const tried = await eventually(
      'the resend to try each of them',
      async () => {
        const attempts = (
          await product.admin.api<{ items: { contactId: string }[] }>('GET', `/api/runs/${resendId}/attempts?limit=500`)
        ).data.items.map((a) => a.contactId);
        return new Set(attempts).size === missed.size ? new Set(attempts) : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(sorted(tried)).toEqual(sorted(missed));
    await page.goto(`${product.web}/runs/${runId}`);
    expect(await page.getByTestId('run-resends').textContent()).toContain(resendId);
  }, 200_000);

  it('counts a click on a sandbox message’s tracked link, and the Condition sends that reader, and only them, the follow-up', async () => {
    // A reader who got the offer (from this run: the resend mailed only the missed), found in the mailbox.
    const got = new Map([...(await setOf(runId, 'received'))].map(([id, email]) => [email, id]));
    const mail = (await product.admin.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data;
    const reader = mail.find((m) => m.subject.startsWith('Spring offer') && got.has(m.envelopeTo))?.envelopeTo ?? '';
    const contactId = got.get(reader);
    expect(contactId).toBeDefined();

    await clickOffer(page, product, reader);

    await page.goto(`${product.web}/runs/${runId}`);
    expect(await page.getByTestId('engagement-offer').getByTestId('unique-clicks').textContent()).toBe('1');
    expect(await page.getByTestId('engagement-links').textContent()).toContain(offerTarget(product));

    // The hour to click ends: the Condition reads the click, the reader gets the follow-up, everyone else leaves.
    await endTheWait(product, runId);
    await eventually(
      'the run to finish',
      async () => (await product.admin.api<RunAnswer>('GET', `/api/runs/${runId}`)).data.run.status === 'completed',
      {
        timeoutMs: 180_000,
      },
    );
    const followUps = (await product.admin.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data.filter((m) =>
      m.subject.startsWith('Your offer'),
    );
    expect(followUps.map((m) => m.envelopeTo)).toEqual([reader]);
    await page.reload();
    await expect.poll(() => page.getByTestId('step-figures-follow-up').textContent(), { timeout: 60_000 }).toMatch(/^1 entered1 moved on/);
    expect(await page.getByTestId('step-figures-clicked').textContent()).toBe(`${n(received)} entered${n(received)} moved on`);
    await page.goto(`${product.web}/runs/${runId}/recipients/${contactId ?? ''}`);
    expect(await page.getByTestId('story-branch').textContent()).toContain('Took branch "Clicked"');
  }, 300_000);
});
