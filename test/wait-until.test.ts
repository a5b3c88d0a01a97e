/**
 * Wait until and Goal and exit in journeys, end to end below HTTP: API events go through receiveEvent
 * (as `POST /api/v1/events` does) to a real Temporal server (the Java test server, time-skipping), whose
 * journeys send through a real SMTP server. The abandoned cart: "cart_updated" → Wait until "purchased"
 * with the same cart_id, at most 2 hours → Thanks, or a Reminder when it never came (or came for another
 * cart). A goal "purchased" ends an onboarding journey in its Delay, counted as converted at that step.
 * The histories of the journeys that heard an event are committed for test/replay.test.ts. Re-record after
 * an intended change behind patched(): DRIPLINE_RECORD_HISTORY=1 npx vitest run test/wait-until.test.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConditionActivities } from '../activities/condition';
import { createGoalActivities } from '../activities/goal';
import { createSendEmail } from '../activities/send-email';
import type { AttributeValue } from '../domain/contact';
import { createApiKey } from '../server/api-keys';
import type { Config } from '../server/config';
import type { Db } from '../server/db';
import type { ApiKey } from '../server/db/api-keys';
import { conversionsByStep } from '../server/db/conversions';
import type { ReceivedMessage } from '../server/db/sandbox';
import { updateSmtpProfile } from '../server/db/smtp-profiles';
import { parseEventRequest, receiveEvent } from '../server/event-requests';
import { type SandboxSmtp, startSandboxSmtp } from '../server/sandbox-smtp';
import { threadedTransports } from '../server/smtp/send-thread';
import type { JourneyResult } from '../workflows/contracts';
import { eventually, installWithUsers, localSmtpPolicy, profileInput, publishForTest, root, timeSkippingTemporal, workflowOptions } from './helpers';
import { goalFlow, waitUntilFlow } from './wait-until-flows';

let env: TestWorkflowEnvironment;
let smtp: SandboxSmtp;
let db: Db;
let config: Config;
let apiKey: ApiKey;
let worker: Worker;
let workerDone: Promise<void>;
const received: ReceivedMessage[] = [];
const transports = threadedTransports(() => '', localSmtpPolicy);

beforeAll(async () => {
  env = await timeSkippingTemporal();
  smtp = await startSandboxSmtp({ port: 0, onMessage: async (m) => void received.push(m) });
  ({ db, config } = await installWithUsers([['owner', 'admin']] as const));
  await updateSmtpProfile(db, 'sandbox', profileInput({ port: smtp.port }), '');
  apiKey = (await createApiKey(db, 'shop', 'owner')).apiKey;
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...workflowOptions(),
    activities: {
      sendEmail: createSendEmail({ db, transports, messageIdSecret: Buffer.alloc(32, 3) }),
      ...createConditionActivities({ db }),
      ...createGoalActivities({ db }),
    },
  });
  workerDone = worker.run();
  await publishForTest(
    db,
    'cart',
    waitUntilFlow('cart_updated', { kind: 'event', match: { event: 'purchased', where: [{ property: 'cart_id', op: 'sameAsEntry' }] } }),
  );
  const paid = { match: 'all' as const, rules: [{ field: 'plan', op: 'equals' as const, value: 'paid' }] };
  await publishForTest(db, 'trial', waitUntilFlow('trial_started', { kind: 'contact', filter: paid }));
  await publishForTest(db, 'onboarding', goalFlow('signed_up', { event: 'purchased', where: [{ property: 'amount', op: 'exists' }] }));
});

afterAll(async () => {
  worker?.shutdown();
  await workerDone;
  transports.close();
  await smtp?.close();
  await db?.destroy();
  await env?.teardown();
});

let keys = 0;
/** An API event, as `POST /api/v1/events` takes it; returns the workflow id of the journey it started in `flowId`, if any. */
async function post(event: string, email: string, attributes: Record<string, AttributeValue>, flowId?: string): Promise<string | undefined> {
  const request = parseEventRequest({ event, email, attributes, idempotencyKey: `k${++keys}` }, null);
  const { answer } = await receiveEvent(db, env.client, config, apiKey, request);
  return answer.journeys.find((j) => j.flowId === flowId && j.status === 'started')?.workflowId;
}

/** Once the journey sleeps on a timer (its Wait until or Delay), events sent now reach it there. */
const waiting = (workflowId: string) =>
  eventually(`journey ${workflowId} waiting`, async () =>
    (await env.client.workflow.getHandle(workflowId).fetchHistory()).events?.some((e) => e.timerStartedEventAttributes),
  );

const subjectsTo = (email: string) => received.filter((m) => m.envelopeTo === email).map((m) => m.subject);

async function finish(workflowId: string, record?: string): Promise<JourneyResult> {
  const handle = env.client.workflow.getHandle(workflowId);
  // Awaiting the result lets the test server skip time: a Wait until nobody ends times out at once.
  const result = (await handle.result()) as JourneyResult;
  if (record && process.env.DRIPLINE_RECORD_HISTORY === '1') {
    fs.writeFileSync(path.join(root, 'test', 'histories', record), historyToJSON(await handle.fetchHistory()));
  }
  return result;
}

describe('Wait until an event', () => {
  it('goes down "Event came" when the same cart is purchased, ignoring another cart’s purchase and its own entry event', async () => {
    const id = await post('cart_updated', 'ada@example.test', { cart_id: 'c-ada' }, 'cart');
    if (!id) throw new Error('no journey started');
    await waiting(id);
    await post('purchased', 'ada@example.test', { cart_id: 'c-other' });
    await post('purchased', 'ada@example.test', { cart_id: 'c-ada' });
    expect(await finish(id, 'journey-wait-until.json')).toEqual({ status: 'completed', nodeId: 'exit-thanks', sent: 1 });
    expect(subjectsTo('ada@example.test')).toEqual(['Thanks']);
  });

  it('times out after the longest wait when no purchase of that cart came, and sends the reminder', async () => {
    const id = await post('cart_updated', 'grace@example.test', { cart_id: 'c-grace' }, 'cart');
    if (!id) throw new Error('no journey started');
    await waiting(id);
    await post('purchased', 'grace@example.test', { cart_id: 'c-someone-else' });
    const result = await finish(id);
    expect(result).toEqual({ status: 'completed', nodeId: 'exit-remind', sent: 1 });
    expect(subjectsTo('grace@example.test')).toEqual(['Reminder']);
    // The two hours passed on the workflow's clock, skipped by the test server, not on the test's.
    const history = await env.client.workflow.getHandle(id).fetchHistory();
    const timer = history.events?.find((e) => e.timerStartedEventAttributes)?.timerStartedEventAttributes;
    expect(Number(timer?.startToFireTimeout?.seconds)).toBe(2 * 3600);
  });
});

describe('Wait until the contact matches', () => {
  it('checks on arrival, then again at the next API event for the contact, which made them match', async () => {
    const id = await post('trial_started', 'grace@example.test', { plan: 'trial' }, 'trial');
    if (!id) throw new Error('no journey started');
    await waiting(id);
    // An event no flow starts on still updates the contact, and is offered to the journeys waiting on it.
    await post('profile_updated', 'grace@example.test', { plan: 'paid' });
    expect(await finish(id)).toEqual({ status: 'completed', nodeId: 'exit-thanks', sent: 1 });
    const history = await env.client.workflow.getHandle(id).fetchHistory();
    expect(history.events?.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [])).toEqual([
      'chooseBranch',
      'chooseBranch',
      'sendEmail',
    ]);
  });
});

describe('Goal and exit', () => {
  it('ends the journey in its Delay when the goal event comes, counted as converted at that step', async () => {
    const id = await post('signed_up', 'linus@example.test', {}, 'onboarding');
    if (!id) throw new Error('no journey started');
    await waiting(id);
    // Not the goal: "purchased" without an amount.
    await post('purchased', 'linus@example.test', { cart_id: 'c-linus' });
    await post('purchased', 'linus@example.test', { amount: 42 });
    expect(await finish(id, 'journey-goal.json')).toEqual({ status: 'converted', nodeId: 'day', sent: 1 });
    expect(subjectsTo('linus@example.test')).toEqual(['Welcome']);
    expect(await conversionsByStep(db, 'onboarding')).toEqual([{ version: 1, nodeId: 'day', converted: 1 }]);
  });
});
