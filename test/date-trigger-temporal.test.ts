/**
 * The date Trigger on a real Temporal server (Temporal's Java test server, time-skipping) with the real
 * activities, a real SQLite install and a real SMTP server: a flow "7 days after renewal_date, at 09:00
 * on the contact's clock, every year" sends to one contact on 2027-01-04 09:00 in Berlin (across the
 * year boundary) and, after the worker was stopped and a new one started, to another on 2027-03-14
 * 09:00 in New York (the day its clocks spring forward: 13:00Z, not 14:00Z). Each occurrence once;
 * archiving the flow ends its date Trigger.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDateTriggerActivities } from '../activities/date-trigger';
import { createSendEmail } from '../activities/send-email';
import type { FlowGraph } from '../domain/flow/schema';
import type { Db } from '../server/db';
import { defineAttributes, insertContacts, setContactStatus } from '../server/db/contacts';
import { setFlowArchived } from '../server/db/flows';
import type { ReceivedMessage } from '../server/db/sandbox';
import { updateSmtpProfile } from '../server/db/smtp-profiles';
import { ensureDateTriggers } from '../server/date-triggers';
import { type SandboxSmtp, startSandboxSmtp } from '../server/sandbox-smtp';
import { threadedTransports } from '../server/smtp/send-thread';
import { dateTriggerWorkflowId, dateWorkflowId } from '../workflows/contracts';
import { installUsers, localSmtpPolicy, profileInput, publishForTest, root, tempInstall, timeSkippingTemporal, workflowOptions } from './helpers';

const TASK_QUEUE = 'date-trigger';
let env: TestWorkflowEnvironment;
let smtp: SandboxSmtp;
let db: Db;
const received: ReceivedMessage[] = [];
const transports = threadedTransports(() => '', localSmtpPolicy);

const renewals: FlowGraph = {
  schemaVersion: 1,
  nodes: [
    {
      id: 'start',
      type: 'trigger',
      position: { x: 0, y: 0 },
      data: {
        source: 'date',
        date: { attribute: 'renewal_date', days: 7, direction: 'after', at: '09:00', everyYear: true, timeZone: 'Europe/Berlin' },
      },
    },
    { id: 'send', type: 'sendEmail', position: { x: 0, y: 100 }, data: { profileId: 'sandbox', subject: 'Renewal for {{ name }}', text: 'Hello' } },
    { id: 'end', type: 'exit', position: { x: 0, y: 200 }, data: {} },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'send' },
    { id: 'e2', source: 'send', target: 'end' },
  ],
};

beforeAll(async () => {
  smtp = await startSandboxSmtp({ port: 0, onMessage: async (m) => void received.push(m) });
  const install = await tempInstall();
  db = install.db;
  // Journeys send as the flow's owner; a flow from before owners sends as the first admin.
  await installUsers(install, [['owner', 'admin']]);
  await updateSmtpProfile(db, 'sandbox', profileInput({ port: smtp.port }), '');
  await defineAttributes(db, [{ name: 'renewal_date', type: 'date' }]);
  await insertContacts(db, [
    // No timezone attribute: the Trigger's zone, Europe/Berlin. 2026-12-28 + 7 days: 2027-01-04 09:00 CET.
    { id: 'ct_berlin', email: 'berlin@example.test', name: 'Berta', attributes: { renewal_date: '2026-12-28' } },
    // 2027-03-07 + 7 days: 2027-03-14, the day New York springs forward; 09:00 EDT.
    { id: 'ct_nyc', email: 'nyc@example.test', name: 'Nora', attributes: { renewal_date: '2027-03-07', timezone: 'America/New_York' } },
    { id: 'ct_none', email: 'none@example.test', name: 'No date', attributes: {} },
    { id: 'ct_gone', email: 'gone@example.test', name: 'Unsubscribed', attributes: { renewal_date: '2026-12-28' } },
  ]);
  await setContactStatus(db, 'ct_gone', 'unsubscribed', 'test');
  await publishForTest(db, 'renewals', renewals);
  env = await timeSkippingTemporal();
});

afterAll(async () => {
  await env?.teardown();
  transports.close();
  await smtp?.close();
  await db?.destroy();
});

function startWorker() {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    ...workflowOptions(),
    // No sticky cache: every workflow task goes through the task queue (the test server does not hand a
    // stopped worker's sticky tasks back to it), and each one replays the history from its start.
    maxCachedWorkflows: 0,
    activities: {
      sendEmail: createSendEmail({ db, transports, messageIdSecret: Buffer.alloc(32, 1) }),
      ...createDateTriggerActivities({ db, temporal: env.client, taskQueue: TASK_QUEUE }),
    },
  });
}

/** Moves the test server's clock forward to `at`, firing every timer on the way (skipped time: at once). */
async function skipTo(at: number) {
  const current = await env.currentTimeMs();
  if (at < current) throw new Error(`the test server is already at ${new Date(current).toISOString()}`);
  await env.sleep(at - current);
}

const timeOf = (e: temporal.api.history.v1.IHistoryEvent) => Number(e.eventTime?.seconds) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
/** When the journey scheduled its send. */
async function sentAt(workflowId: string): Promise<number[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendEmail').map(timeOf);
}
/** A timer fires at its time; the send is scheduled in the workflow task that follows, a moment later. */
const SLACK = 5_000;
const subjectsTo = (email: string) => received.filter((m) => m.envelopeTo === email).map((m) => m.subject);

describe('a flow triggered by a date attribute', () => {
  it('sends at 09:00 on each contact’s clock across a year boundary and a DST change, with the worker restarted in between', async () => {
    const starter = { db, temporal: env.client, taskQueue: TASK_QUEUE };
    expect(await ensureDateTriggers(starter)).toBe(1);
    expect(await ensureDateTriggers(starter)).toBe(0); // one per flow
    const trigger = env.client.workflow.getHandle(dateTriggerWorkflowId('renewals'));
    const firstRun = (await trigger.describe()).runId;

    const berlin = dateWorkflowId('renewals', 'ct_berlin', '2026-12-28');
    let worker = await startWorker();
    let running = worker.run();
    await skipTo(Date.parse('2027-01-04T08:00:00Z') + 60_000);
    expect(await env.client.workflow.getHandle(berlin).result()).toMatchObject({ status: 'completed', sent: 1 });
    const [berlinAt] = await sentAt(berlin);
    expect(berlinAt).toBeGreaterThanOrEqual(Date.parse('2027-01-04T09:00:00+01:00'));
    expect(berlinAt).toBeLessThan(Date.parse('2027-01-04T09:00:00+01:00') + SLACK);
    expect(subjectsTo('berlin@example.test')).toEqual(['Renewal for Berta']);
    const berlinHistory = await env.client.workflow.getHandle(berlin).fetchHistory();

    // The worker stops; a new one (new activities, nothing cached) picks the date Trigger up where it was.
    worker.shutdown();
    await running;
    worker = await startWorker();
    running = worker.run();

    const nyc = dateWorkflowId('renewals', 'ct_nyc', '2027-03-07');
    await skipTo(Date.parse('2027-03-14T13:00:00Z') + 60_000);
    expect(await env.client.workflow.getHandle(nyc).result()).toMatchObject({ status: 'completed', sent: 1 });
    const [nycAt] = await sentAt(nyc);
    expect(nycAt).toBeGreaterThanOrEqual(Date.parse('2027-03-14T09:00:00-04:00'));
    expect(nycAt).toBeLessThan(Date.parse('2027-03-14T09:00:00-04:00') + SLACK);
    expect(subjectsTo('nyc@example.test')).toEqual(['Renewal for Nora']);

    // Each occurrence once; no mail for a contact without the date, nor for one who unsubscribed.
    expect(subjectsTo('berlin@example.test')).toEqual(['Renewal for Berta']);
    expect(subjectsTo('none@example.test')).toEqual([]);
    expect(subjectsTo('gone@example.test')).toEqual([]);
    const entries = await db
      .selectFrom('eventEntries')
      .select(['contactId', 'idempotencyKey'])
      .where('flowId', '=', 'renewals')
      .orderBy('contactId')
      .execute();
    expect(entries).toEqual([
      { contactId: 'ct_berlin', idempotencyKey: 'date:2026-12-28' },
      { contactId: 'ct_nyc', idempotencyKey: 'date:2027-03-07' },
    ]);

    // Archived, the flow's date Trigger ends at its next look; the worker starts none for it.
    await setFlowArchived(db, 'renewals', true);
    await skipTo(Date.parse('2027-03-16T13:00:00Z'));
    expect(await trigger.result()).toEqual({ status: 'stopped' });
    expect(await ensureDateTriggers(starter)).toBe(0);
    worker.shutdown();
    await running;

    if (process.env.DRIPLINE_RECORD_HISTORY === '1') {
      const firstHistory = await env.client.workflow.getHandle(dateTriggerWorkflowId('renewals'), firstRun).fetchHistory();
      fs.writeFileSync(path.join(root, 'test', 'histories', 'date-trigger.json'), historyToJSON(firstHistory));
      fs.writeFileSync(path.join(root, 'test', 'histories', 'journey-date.json'), historyToJSON(berlinHistory));
    }
  });
});
