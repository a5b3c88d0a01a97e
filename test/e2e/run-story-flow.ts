/**
 * A campaign with a story to tell, for the closing run test (run-story.test.ts) and the README's report and
 * story screenshots (readme-screenshots.ts): readers imported into a list, a flow that draws a wait, waits
 * for its send window, sends a tracked offer, waits an hour and sends a follow-up to those who clicked, and
 * the sandbox profile set to hold what the server may have (a message dropped after DATA) for review.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { openDatabase } from '../../server/db';
import { campaignWorkflowId, wakeSignal } from '../../workflows/contracts';
import type { FlowPublished, ImportStatusResponse, ImportUploadResponse, SmtpProfileResponse } from '../../web/lib/api-types';
import { eventually, type Product, profileInput } from './product';

/** One in five addresses refused at RCPT TO (550, for good), one message in ten dropped after its DATA (the outcome unknown). */
export const STORY_FAULTS = 'reject=20%,drop-after-data=10%';
/** Where the offer's tracked link leads. */
export const offerTarget = (product: Product) => `${product.web}/healthz`;

/** reader-0001@bigrun.test…: zero-padded, so no address is the beginning of another. */
export const readerEmails = (count: number) => Array.from({ length: count }, (_, i) => `reader-${String(i + 1).padStart(4, '0')}@bigrun.test`);

/** Imports `count` readers through the CSV import into a new list of this name; resolves once they are in. */
export async function importReaders(product: Product, count: number, list: string): Promise<void> {
  const csv = `email,name\n${readerEmails(count)
    .map((email, i) => `${email},Reader ${i + 1}`)
    .join('\n')}\n`;
  const res = await fetch(`${product.web}/api/imports?name=readers.csv`, {
    method: 'POST',
    headers: { cookie: product.admin.cookie, origin: product.web, 'content-type': 'text/csv' },
    body: csv,
  });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as ImportUploadResponse;
  await product.admin.api('POST', `/api/imports/${id}/start`, { mapping: [{ to: 'email' }, { to: 'name' }], newList: list }).then((a) => a.data);
  await eventually(
    'the import to finish',
    async () => (await product.admin.api<ImportStatusResponse>('GET', `/api/imports/${id}`)).data.import.status === 'done',
    { timeoutMs: 120_000 },
  );
}

/**
 * The sandbox profile holds a send whose outcome is unknown for review (rather than resending it), and its
 * reputation guard is off: one address in five refused would pause it, which is the guard's job, not this story's.
 */
export async function holdUncertainSends(product: Product): Promise<void> {
  const view = (await product.admin.api<SmtpProfileResponse>('GET', '/api/smtp-profiles/sandbox')).data;
  const saved = await product.admin.api('PUT', '/api/smtp-profiles/sandbox', profileInput(view, { uncertainPolicy: 'hold', guardBouncePercent: 0 }));
  expect(saved.status, saved.text).toBe(200);
}

const at = (x: number, y: number) => ({ x, y });

/**
 * The flow, tracking on, published: its version. Step ids: draw, window, offer, wait, clicked, follow-up, done.
 * `draw`: how long the first Delay draws between (a draw over minutes spreads the sends over the report's minutes).
 */
export async function publishStoryFlow(
  product: Product,
  flowId: string,
  draw: { min: number; max: number; unit: 'seconds' | 'minutes' } = { min: 1, max: 3, unit: 'seconds' },
): Promise<number> {
  const target = offerTarget(product);
  const graph = {
    schemaVersion: 1,
    nodes: [
      { id: 'trigger', type: 'trigger', position: at(200, 0), data: { source: 'audience' } },
      { id: 'draw', type: 'delay', name: 'A moment apart', position: at(200, 140), data: { mode: 'random', ...draw } },
      {
        id: 'window',
        type: 'sendWindow',
        name: 'Any day',
        position: at(200, 280),
        data: { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '00:00', to: '23:59', timeZone: 'UTC', randomize: false },
      },
      {
        id: 'offer',
        type: 'sendEmail',
        name: 'Spring offer',
        position: at(200, 430),
        data: {
          profileId: 'sandbox',
          subject: 'Spring offer for {{name}}',
          format: 'html',
          text: `Hi {{name}},\n\nOur spring offer: ${target}\n`,
          html: `<p>Hi {{name}}, <a href="${target}">see the spring offer</a></p>`,
        },
      },
      { id: 'wait', type: 'delay', name: 'An hour to click', position: at(200, 590), data: { mode: 'fixed', amount: 1, unit: 'hours' } },
      {
        id: 'clicked',
        type: 'condition',
        name: 'Clicked?',
        position: at(200, 730),
        data: {
          branches: [{ id: 'yes', label: 'Clicked', test: { kind: 'engaged', sendNodeId: 'offer', action: 'clicked', within: 1, unit: 'days' } }],
        },
      },
      {
        id: 'follow-up',
        type: 'sendEmail',
        name: 'Follow-up',
        position: at(0, 890),
        data: { profileId: 'sandbox', subject: 'Your offer, {{name}}', text: 'Hi {{name}},\n\nThanks for looking.\n' },
      },
      { id: 'done', type: 'exit', position: at(300, 1030), data: {} },
    ],
    edges: [
      { id: 'e1', source: 'trigger', target: 'draw' },
      { id: 'e2', source: 'draw', target: 'window' },
      { id: 'e3', source: 'window', target: 'offer' },
      { id: 'e4', source: 'offer', target: 'wait' },
      { id: 'e5', source: 'wait', target: 'clicked' },
      { id: 'e6', source: 'clicked', target: 'follow-up', sourceHandle: 'yes' },
      { id: 'e7', source: 'clicked', target: 'done', sourceHandle: 'otherwise' },
      { id: 'e8', source: 'follow-up', target: 'done' },
    ],
  };
  const put = await product.admin.api('PUT', `/api/flows/${flowId}`, { name: 'Spring offer', graph });
  expect(put.status, put.text).toBe(200);
  await product.admin.api('PUT', `/api/flows/${flowId}/tracking`, { enabled: true }).then((a) => a.data);
  return (await product.admin.api<FlowPublished>('POST', `/api/flows/${flowId}/publish`)).data.version;
}

/** Ends the hour to click of every recipient waiting in the run now (as if it had passed), and wakes the campaign to move them on. */
export async function endTheWait(product: Product, runId: string): Promise<void> {
  const db = await openDatabase(path.join(product.dataDir, 'dripline.db'));
  try {
    await db.updateTable('runRecipients').set({ dueAt: Date.now() }).where('runId', '=', runId).where('status', '=', 'pending').execute();
  } finally {
    await db.destroy();
  }
  const connection = await Connection.connect({ address: `127.0.0.1:${product.ports.temporal}` });
  try {
    await new Client({ connection }).workflow.getHandle(campaignWorkflowId(runId)).signal(wakeSignal);
  } finally {
    await connection.close();
  }
}

/** On the flow's start page: chooses the list, sees the review count them all, starts the run. Its id. */
export async function startForList(page: Page, list: string, count: number): Promise<string> {
  await page.getByTestId('audience-search').fill(list);
  await page.getByTestId('audience-list-option').filter({ hasText: list }).locator('input').check();
  await expect.poll(() => page.getByTestId('review-audience').getAttribute('data-count'), { timeout: 30_000 }).toBe(String(count));
  expect(await page.getByTestId('start-run').textContent()).toBe(`Start run for ${count.toLocaleString('en-US')} contacts`);
  await page.getByTestId('start-run').click();
  await page.waitForURL(/\/runs\/run_/);
  return page.url().split('/runs/')[1]?.split(/[?#]/)[0] ?? '';
}

/** Opens the reader's offer in the sandbox mailbox and clicks its tracked link: the browser lands on the offer. */
export async function clickOffer(page: Page, product: Product, reader: string): Promise<void> {
  await page.goto(`${product.web}/sandbox`);
  await page.getByTestId('sandbox-message').filter({ hasText: reader }).click();
  await page.getByTestId('message-tab-html').click();
  const link = page.frameLocator('[data-testid="sandbox-message-html"]').getByRole('link', { name: 'see the spring offer' });
  expect(await link.getAttribute('href')).toMatch(new RegExp(`^${product.web}/t/c/`));
  const landed = page.waitForRequest((r) => r.url() === offerTarget(product));
  await link.click();
  await landed;
}
