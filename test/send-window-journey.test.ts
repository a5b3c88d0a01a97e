/**
 * The Send window in a journey, on a real Temporal server (Temporal's Java test server, time-skipping)
 * with the real activities and a real SMTP server, across the 2027 spring-forward dates: contacts who
 * enter on the Saturday evening before are sent at the window's opening on their own clock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSendEmail } from '../activities/send-email';
import { createSendWindowActivities } from '../activities/send-window';
import type { SendWindowData } from '../domain/flow/nodes/send-window';
import type { FlowGraph } from '../domain/flow/schema';
import type { Db } from '../server/db';
import { insertContacts } from '../server/db/contacts';
import type { ReceivedMessage } from '../server/db/sandbox';
import { updateSmtpProfile } from '../server/db/smtp-profiles';
import { journeyWorkflowId } from '../workflows/contracts';
import { type SandboxSmtp, startSandboxSmtp } from '../server/sandbox-smtp';
import { threadedTransports } from '../server/smtp/send-thread';
import { journeyWorkflow } from '../workflows/journey';
import { localSmtpPolicy, profileInput, publishForTest, root, tempInstall, timeSkippingTemporal, workflowOptions } from './helpers';

let env: TestWorkflowEnvironment;
let smtp: SandboxSmtp;
let db: Db;
const received: ReceivedMessage[] = [];
const transports = threadedTransports(() => '', localSmtpPolicy);

beforeAll(async () => {
  smtp = await startSandboxSmtp({ port: 0, onMessage: async (m) => void received.push(m) });
  ({ db } = await tempInstall());
  await updateSmtpProfile(db, 'sandbox', profileInput({ port: smtp.port }), '');
  // Ada (seeded) has no timezone attribute: the node's zone, Europe/Berlin, is hers.
  await insertContacts(db, [{ id: 'ct_nyc', email: 'grace.nyc@example.test', name: 'Grace Hopper', attributes: { timezone: 'America/New_York' } }]);
});

afterAll(async () => {
  transports.close();
  await smtp?.close();
  await db?.destroy();
});

/**
 * A test server of its own for each zone: once a journey completes, the time-skipping server runs its
 * clock on by years, so a second scenario could not start on its Saturday in the same one.
 */
beforeEach(async () => {
  env = await timeSkippingTemporal();
});
afterEach(async () => {
  await env?.teardown();
});

const window = (days: SendWindowData['days'], from: string, to: string): SendWindowData => ({
  days,
  from,
  to,
  timeZone: 'Europe/Berlin',
  randomize: false,
});
/** Sunday 02:30–05:00 (an opening the spring-forward skips), a send, Mon–Fri 09:00–17:00, another send. */
const twoWindows: FlowGraph = {
  schemaVersion: 1,
  nodes: [
    { id: 'start', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'audience' } },
    { id: 'sunday', type: 'sendWindow', position: { x: 0, y: 100 }, data: window(['sun'], '02:30', '05:00') },
    { id: 'early', type: 'sendEmail', position: { x: 0, y: 200 }, data: { profileId: 'sandbox', subject: 'Early', text: 'Hello' } },
    { id: 'weekdays', type: 'sendWindow', position: { x: 0, y: 300 }, data: window(['mon', 'tue', 'wed', 'thu', 'fri'], '09:00', '17:00') },
    { id: 'office', type: 'sendEmail', position: { x: 0, y: 400 }, data: { profileId: 'sandbox', subject: 'Office hours', text: 'Hello' } },
    { id: 'end', type: 'exit', position: { x: 0, y: 500 }, data: {} },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'sunday' },
    { id: 'e2', source: 'sunday', target: 'early' },
    { id: 'e3', source: 'early', target: 'weekdays' },
    { id: 'e4', source: 'weekdays', target: 'office' },
    { id: 'e5', source: 'office', target: 'end' },
  ],
};

/** Moves the test server's clock forward to `at` (skipped time: at once). */
async function skipTo(at: number) {
  const current = await env.currentTimeMs();
  if (at < current) throw new Error(`the test server is already at ${new Date(current).toISOString()}`);
  await env.sleep(at - current);
}

/** When the journey scheduled each send: the times of the history's sendEmail ActivityTaskScheduled events. */
function sendsScheduledAt(history: temporal.api.history.v1.IHistory): number[] {
  return (history.events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendEmail')
    .map((e) => Number(e.eventTime?.seconds) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6));
}

const localText = (t: number, zone: string) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'shortOffset',
  }).format(t);

/** Runs the flow's journey for one contact entering now; returns when each send was scheduled. */
async function enter(flowId: string, contactId: string) {
  const taskQueue = `window-${flowId}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    ...workflowOptions(),
    activities: { sendEmail: createSendEmail({ db, transports, messageIdSecret: Buffer.alloc(32, 1) }), ...createSendWindowActivities({ db }) },
  });
  const plan = await publishForTest(db, flowId, twoWindows);
  const runId = `run-${flowId}`;
  const workflowId = journeyWorkflowId(flowId, 1, contactId, runId);
  const result = await worker.runUntil(env.client.workflow.execute(journeyWorkflow, { taskQueue, workflowId, args: [{ plan, runId, contactId }] }));
  expect(result).toMatchObject({ status: 'completed', sent: 2 });
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return { history, sends: sendsScheduledAt(history) };
}

/** A timer fires at its time; the send is scheduled in the workflow task that follows, a moment later. */
const SLACK = 5_000;
function expectSentAt(sentAt: number | undefined, opening: string, zone: string, local: string) {
  if (sentAt === undefined) throw new Error('no send');
  expect(sentAt, localText(sentAt, zone)).toBeGreaterThanOrEqual(Date.parse(opening));
  expect(sentAt, localText(sentAt, zone)).toBeLessThan(Date.parse(opening) + SLACK);
  expect(localText(sentAt, zone)).toBe(local);
}

describe('Send window in a journey, across the 2027 spring-forward', () => {
  it('America/New_York (2027-03-14), from the contact’s timezone: Saturday 20:00 EST → the 02:30 Sunday opening the clock skips is 03:00 EDT, then Monday 09:00 EDT', async () => {
    await skipTo(Date.parse('2027-03-13T20:00:00-05:00'));
    const { sends, history } = await enter('nyc', 'ct_nyc');
    expect(sends).toHaveLength(2);
    expectSentAt(sends[0], '2027-03-14T03:00:00-04:00', 'America/New_York', 'Sun 14 Mar, 03:00 GMT-4');
    expectSentAt(sends[1], '2027-03-15T09:00:00-04:00', 'America/New_York', 'Mon 15 Mar, 09:00 GMT-4');
    expect(received.filter((m) => m.envelopeTo === 'grace.nyc@example.test').map((m) => m.subject)).toEqual(['Early', 'Office hours']);
    if (process.env.DRIPLINE_RECORD_HISTORY === '1') {
      fs.writeFileSync(path.join(root, 'test', 'histories', 'journey-send-window.json'), historyToJSON(history));
    }
  });

  it('Europe/Berlin (2027-03-28), the node’s zone for a contact without one: Saturday 20:00 CET → Sunday 03:00 CEST, then Monday 09:00 CEST', async () => {
    await skipTo(Date.parse('2027-03-27T20:00:00+01:00'));
    const { sends } = await enter('berlin', 'ct_ada');
    expect(sends).toHaveLength(2);
    expectSentAt(sends[0], '2027-03-28T03:00:00+02:00', 'Europe/Berlin', 'Sun 28 Mar, 03:00 GMT+2');
    expectSentAt(sends[1], '2027-03-29T09:00:00+02:00', 'Europe/Berlin', 'Mon 29 Mar, 09:00 GMT+2');
    expect(received.filter((m) => m.envelopeTo === 'ada@example.test').map((m) => m.subject)).toEqual(['Early', 'Office hours']);
  });
});
