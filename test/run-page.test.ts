/**
 * The run page's numbers on a real SQLite database and a real PostgreSQL one, as the page reads them
 * (server/runs/report.ts runPage): the counts by state (pending split into waiting and due), the
 * recipients' total taken from those counts rather than counted again, the held list, the delivery
 * log newest first with its total, and the recent rate from the sent attempts of the last half minute
 * (the delivery_attempts_run_outcome index, migration 250). bench/queries.ts times the same at 1,000,000 rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryLogFilter, LogPage } from '../domain/delivery-log';
import type { FlowGraph } from '../domain/flow/schema';
import { WEEKDAYS } from '../domain/flow/send-window';
import { nodeTitle } from '../domain/flow/step-title';
import { advanceDueRecipients } from '../server/cohort/advance';
import type { Db } from '../server/db';
import { insertContacts } from '../server/db/contacts';
import { recordDeliveryAttempt } from '../server/db/deliveries';
import { claimNextRecipients, insertRecipients, moveRecipient } from '../server/db/recipients';
import { insertRun, listRunRecipients } from '../server/db/runs';
import { insertSmtpProfile } from '../server/db/smtp-profiles';
import type { Actor } from '../server/profiles';
import { runPage } from '../server/runs/report';
import { databases, tempInstallOn } from './databases';
import { profileInput, publishForTest, sendGraph } from './helpers';

const ADMIN: Actor = { id: 'admin', role: 'admin' };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The weekday three days from now (UTC): a window open only then is shut now and opens in two to three days. */
const inThreeDays = WEEKDAYS[(new Date(Date.now() + 3 * DAY).getUTCDay() + 6) % 7]!;
const at = { x: 0, y: 0 };
/** Trigger → Delay 2 hours → Send window (that one day, 09:00–17:00 UTC) → Condition → Send (a custom SMTP server) → Exit. */
const waits: FlowGraph = {
  schemaVersion: 1,
  nodes: [
    { id: 't', type: 'trigger', position: at, data: { source: 'audience' } },
    { id: 'pause', type: 'delay', position: at, data: { mode: 'fixed', amount: 2, unit: 'hours' } },
    { id: 'hours', type: 'sendWindow', position: at, data: { days: [inThreeDays], from: '09:00', to: '17:00', timeZone: 'UTC', randomize: false } },
    {
      id: 'check',
      type: 'condition',
      position: at,
      data: {
        branches: [
          { id: 'b1', label: 'Has email', test: { kind: 'attributes', filter: { match: 'all', rules: [{ field: 'email', op: 'exists' }] } } },
        ],
      },
    },
    { id: 's', type: 'sendEmail', position: at, data: { profileId: 'relay', subject: 'Hello', text: 'Hi' } },
    { id: 'x', type: 'exit', position: at, data: {} },
  ],
  edges: [
    { id: 'e1', source: 't', target: 'pause' },
    { id: 'e2', source: 'pause', target: 'hours' },
    { id: 'e3', source: 'hours', target: 'check' },
    { id: 'e4', source: 'check', target: 's', sourceHandle: 'b1' },
    { id: 'e5', source: 'check', target: 'x', sourceHandle: 'otherwise' },
    { id: 'e6', source: 's', target: 'x' },
  ],
};
const titleOf = (id: string) => nodeTitle(waits.nodes.find((n) => n.id === id)!);

describe.each(databases)('on %s', (dialect) => {
  let db: Db;
  beforeAll(async () => {
    db = (await tempInstallOn(dialect)).db;
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => `ct_${n}`);
    await insertContacts(
      db,
      ids.map((id) => ({ id, email: `${id}@example.test`, name: id })),
    );
    const plan = await publishForTest(db, 'page', sendGraph('sandbox'));
    const run = { runId: 'run-page', entry: 's', workflowId: 'campaign:run-page' };
    await insertRun(db, {
      id: run.runId,
      flowId: 'page',
      version: plan.version,
      startedBy: null,
      idempotencyKey: null,
      audience: { kind: 'all' },
      workflowId: run.workflowId,
      plan,
    });
    // a, b, c, d due an hour ago; e and f in an hour.
    await insertRecipients(db, { ...run, dueAt: Date.now() - HOUR }, ids.slice(0, 4));
    await insertRecipients(db, { ...run, dueAt: Date.now() + HOUR }, ids.slice(4));
    const claimed = (await claimNextRecipients(db, run.runId, 's', 'batch-1', Date.now(), 3)).map((r) => r.contactId).sort();
    expect(claimed).toEqual(['ct_a', 'ct_b', 'ct_c']);
    const attempt = { runId: run.runId, nodeId: 's', workflowId: run.workflowId, attempt: 1, smtpCode: 250, smtpReply: '250 OK' };
    await recordDeliveryAttempt(db, { ...attempt, contactId: 'ct_a', outcome: 'sent', messageId: '<a@x>' });
    await moveRecipient(db, run.runId, 'ct_a', 'sending', { to: 'held' });
    await recordDeliveryAttempt(db, { ...attempt, contactId: 'ct_b', outcome: 'failed', smtpCode: 550, smtpReply: '550 no', messageId: '<b@x>' });
    await moveRecipient(db, run.runId, 'ct_b', 'sending', { to: 'failed' });
  });
  afterAll(async () => db?.destroy());

  it('counts each state, totals the recipients from those counts, and lists the held and the delivery log', async () => {
    const page = await runPage(db, ADMIN, 'run-page', {
      recipientsAt: 0,
      limit: 4,
      log: { filter: DeliveryLogFilter.parse({}), page: LogPage.parse({ limit: 4 }) },
    });
    expect(page.report.counts).toEqual({
      waiting: 2,
      due: 1,
      sending: 1,
      retrying: 0,
      held: 1,
      completed: 0,
      failed: 1,
      cancelled: 0,
      journey: 0,
      skipped: 0,
      messagesSent: 1,
    });
    expect(page.recipients.total).toBe(6);
    expect(page.recipients.items.map((r) => [r.id, r.status])).toEqual([
      ['ct_a', 'held'],
      ['ct_b', 'failed'],
      ['ct_c', 'sending'],
      ['ct_d', 'pending'],
    ]);
    expect(page.held.map((r) => r.id)).toEqual(['ct_a']);
    expect(page.attempts.older).toBeNull();
    // Counted only when asked: at 1,000,000 recipients it reads them all.
    expect(page.reconciliation).toBeNull();
    expect(page.attempts.items.map((a) => [a.contactId, a.outcome])).toEqual([
      ['ct_b', 'failed'],
      ['ct_a', 'sent'],
    ]);
    // One message sent in the last half minute (the failed attempt does not count).
    expect(page.report.recentRate).toBeCloseTo(1 / 30);
    // The sandbox sees what happens after it accepts a message: no note.
    expect(page.report.lateBouncesUnseen).toEqual([]);
  });

  it('names the Delay or Send window each waiting recipient waits in, as the canvas does, and when they move on', async () => {
    await insertSmtpProfile(db, profileInput({ name: 'Relay' }), { id: 'relay', passwordEnc: '', ownerId: null });
    const plan = await publishForTest(db, 'waits', waits);
    const run = { runId: 'run-waits', workflowId: 'campaign:run-waits' };
    await insertRun(db, {
      id: run.runId,
      flowId: 'waits',
      version: plan.version,
      startedBy: null,
      idempotencyKey: null,
      audience: { kind: 'all' },
      workflowId: run.workflowId,
      plan,
    });
    const due = Date.now() - 1000;
    // a comes to the Delay, b to the Send window, c to the Send: all due now; the cohort moves a and b on, to wait.
    await insertRecipients(db, { ...run, entry: 'pause', dueAt: due }, ['ct_a']);
    await insertRecipients(db, { ...run, entry: 'hours', dueAt: due }, ['ct_b']);
    await insertRecipients(db, { ...run, entry: 's', dueAt: due }, ['ct_c']);
    const before = Date.now();
    await advanceDueRecipients(db, run.runId, plan, 1, before);
    const page = await runPage(db, ADMIN, run.runId, {
      recipientsAt: 0,
      limit: 10,
      log: { filter: DeliveryLogFilter.parse({}), page: LogPage.parse({}) },
    });
    const [a, b, c] = page.recipients.items;
    // a waits in the Delay (its row is at the Send window, due 2 hours after it came).
    expect([a?.id, a?.nodeId, a?.move.state, a?.move.step]).toEqual(['ct_a', 'hours', 'waiting', titleOf('pause')]);
    expect(titleOf('pause')).toBe('Delay “Wait 2 hours”');
    expect(a?.move.movesOnAt).toBe(new Date(due + 2 * HOUR).toISOString());
    // b waits in the Send window, not in the Condition it goes on to, till the window opens.
    expect([b?.id, b?.nodeId, b?.move.state, b?.move.step]).toEqual(['ct_b', 'check', 'waiting', titleOf('hours')]);
    expect(titleOf('hours')).toMatch(/^Send window “/);
    const opens = new Date(b?.move.movesOnAt ?? 0);
    expect([WEEKDAYS[(opens.getUTCDay() + 6) % 7], opens.getUTCHours(), opens.getUTCMinutes()]).toEqual([inThreeDays, 9, 0]);
    expect(opens.getTime()).toBeGreaterThan(before + DAY);
    // Its sender is a custom SMTP server: bounces mailed back after it accepted are not seen, and the page says so.
    expect(page.report.lateBouncesUnseen).toEqual(['Relay']);
    // c is due now at its Send: no wait.
    expect([c?.id, c?.move.state, c?.move.step, c?.move.movesOnAt]).toEqual(['ct_c', 'pending', titleOf('s'), null]);
  });

  it('counts the recipients itself when the caller has not, filtered by state', async () => {
    expect((await listRunRecipients(db, 'run-page', { offset: 0, limit: 10 })).total).toBe(6);
    expect((await listRunRecipients(db, 'run-page', { offset: 0, limit: 10, status: 'pending' })).total).toBe(3);
  });
});
