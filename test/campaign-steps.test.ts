/**
 * Wait until and Webhook in campaigns, on a real Temporal server, a real SMTP server and a real HTTP
 * server (node:http on 127.0.0.1, allowed as DRIPLINE_WEBHOOK_ALLOWED_HOSTS would): the cohort waits per
 * recipient in the app database; an API event for one recipient (the events API's own path) moves them
 * down "Event came" / "Condition met" while the others time out; a Webhook page takes Succeeded, a retry
 * after a 500, and Failed on a 400. What each recipient got is read from the SMTP server's record.
 * Their histories are committed (test/histories/campaign-wait-until.json, campaign-webhook.json) for
 * test/replay.test.ts; re-record after an intended change behind patched():
 * DRIPLINE_RECORD_HISTORY=1 npx vitest run test/campaign-steps.test.ts
 */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttributeValue } from '../domain/contact';
import { type FlowGraph, SCHEMA_VERSION } from '../domain/flow/schema';
import { createApiKey } from '../server/api-keys';
import type { ApiKey } from '../server/db/api-keys';
import { contactWebhookCalls } from '../server/db/webhook-calls';
import { parseEventRequest, receiveEvent } from '../server/event-requests';
import { recipientStory } from '../server/runs/story';
import { parseAllowedTarget } from '../server/smtp/allow-list';
import { webhookSecret } from '../server/webhooks';
import { admin, campaignEnv, type CampaignEnv, INSTALL_KEY, until } from './campaign-env';
import { root } from './helpers';

const TASK_QUEUE = 'campaign-steps-test';
/** Long enough for the test to send its events while the recipients wait, on a busy machine. */
const LONGEST_WAIT_SECONDS = 15;

interface Seen {
  email: string;
  signature: string;
  body: string;
}
const seen: Seen[] = [];
let receiver: http.Server;
let port = 0;
let env: CampaignEnv;
let apiKey: ApiKey;
/** The install seeds a few contacts of its own: the campaigns go to the three the test made. */
const AUDIENCE = { audience: { kind: 'contacts' as const, contactIds: ['ct_000000', 'ct_000001', 'ct_000002'] } };
/** person1's first call is answered 500; every later one 200. */
let person1Failures = 1;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const email = String((JSON.parse(body) as { email?: unknown }).email);
      seen.push({ email, signature: String(req.headers['x-dripline-signature'] ?? ''), body });
      if (email === 'person2@example.test') res.writeHead(400).end('no such customer');
      else if (email === 'person1@example.test' && person1Failures-- > 0) res.writeHead(500).end('oops');
      else res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  port = (receiver.address() as AddressInfo).port;
  env = await campaignEnv({
    contacts: 3,
    taskQueue: TASK_QUEUE,
    inProcessWorker: true,
    webhookPolicy: { allowed: [parseAllowedTarget(`127.0.0.1:${port}`)] },
  });
  apiKey = (await createApiKey(env.db, 'shop', admin.id)).apiKey;
});

afterAll(async () => {
  await env?.close();
  receiver?.close();
});

const at = (x: number, y: number) => ({ x, y });
const send = (id: string, subject: string, x: number) => ({
  id,
  type: 'sendEmail',
  position: at(x, 300),
  data: { profileId: 'sandbox', subject, text: `Hi {{ name }}, ${subject}. {{ unsubscribe_url }}` },
});

/** Campaign → `step` (outputs `yes` and `no` by handle) → a Send each → Exit. */
function campaign(step: Record<string, unknown>, yes: [string, string], no: [string, string]): FlowGraph {
  return {
    schemaVersion: SCHEMA_VERSION,
    nodes: [
      { id: 'trigger', type: 'trigger', position: at(0, 0), data: { source: 'audience' } },
      { id: 'step', position: at(0, 150), ...step },
      send('yes', yes[1], -150),
      send('no', no[1], 150),
      { id: 'done', type: 'exit', position: at(0, 450), data: {} },
    ],
    edges: [
      { id: 'e1', source: 'trigger', target: 'step' },
      { id: 'e-yes', source: 'step', target: 'yes', sourceHandle: yes[0] },
      { id: 'e-no', source: 'step', target: 'no', sourceHandle: no[0] },
      { id: 'e2', source: 'yes', target: 'done' },
      { id: 'e3', source: 'no', target: 'done' },
    ],
  } as FlowGraph;
}

let keys = 0;
/** An API event, through the events API's own path (the contact updated, journeys and campaign waits told). */
async function post(event: string, email: string, attributes: Record<string, AttributeValue>, properties: Record<string, AttributeValue> = {}) {
  const request = parseEventRequest({ event, email, attributes, properties, idempotencyKey: `k${++keys}` }, null);
  await receiveEvent(env.db, env.client, env.config, apiKey, request);
}

/** What the SMTP server received for this run's contacts: each address's messages by their line after "Hi …, ". */
const gotBy = (since: number) => (email: string) =>
  env.received
    .slice(since)
    .filter((m) => m.to === email)
    .map((m) => /^Hi [^,]*, ([^.]*)\./m.exec(m.text)?.[1]);

function record(name: string, history: Parameters<typeof historyToJSON>[0]) {
  if (process.env.DRIPLINE_RECORD_HISTORY === '1') fs.writeFileSync(path.join(root, 'test', 'histories', name), historyToJSON(history));
}

describe('a campaign with a Wait until', () => {
  it('moves a recipient whose event (or condition) came down "met", and the others down "timed out" when the wait ends', async () => {
    const wait = (until: unknown) => ({ type: 'waitUntil', data: { until, maxWait: LONGEST_WAIT_SECONDS, unit: 'seconds' } });
    const pro = { event: 'purchased', where: [{ property: 'plan', op: 'equals', value: 'pro' }] };
    const gold = { match: 'all', rules: [{ field: 'tier', op: 'equals', value: 'gold' }] };
    const before = env.received.length;
    const byEvent = await env.run('wait-event', campaign(wait({ kind: 'event', match: pro }), ['met', 'Thanks'], ['timedOut', 'Reminder']), AUDIENCE);
    const byCondition = await env.run(
      'wait-gold',
      campaign(wait({ kind: 'contact', filter: gold }), ['met', 'Welcome gold'], ['timedOut', 'Still here']),
      AUDIENCE,
    );
    // Both campaigns hold all three recipients at their Wait until before any event is sent.
    await until('every recipient waiting in both campaigns', async () => {
      const rows = await env.db.selectFrom('runRecipients').select('waitDeadline').where('runId', 'in', [byEvent.runId, byCondition.runId]).execute();
      return rows.length === 6 && rows.every((r) => r.waitDeadline !== null);
    });
    // person0: the event, with the property filtered on, and the attribute the condition wants.
    await post('purchased', 'person0@example.test', { tier: 'gold' }, { plan: 'pro' });
    // person1: the same event with another plan, and another tier: neither wait ends. person2: nothing.
    await post('purchased', 'person1@example.test', { tier: 'silver' }, { plan: 'free' });

    expect(await byEvent.handle.result()).toMatchObject({ status: 'completed', sent: 3, failed: 0 });
    expect(await byCondition.handle.result()).toMatchObject({ status: 'completed', sent: 3, failed: 0 });
    const got = gotBy(before);
    expect(got('person0@example.test').sort()).toEqual(['Thanks', 'Welcome gold']);
    expect(got('person1@example.test').sort()).toEqual(['Reminder', 'Still here']);
    expect(got('person2@example.test').sort()).toEqual(['Reminder', 'Still here']);

    // Their stories: the wait began, then the branch by the canvas's name for it.
    const story = async (runId: string, contactId: string) =>
      (await recipientStory(env.db, admin, runId, contactId)).entries.filter((e) => e.kind === 'wait' || e.kind === 'branch').map((e) => e.text);
    expect(await story(byEvent.runId, 'ct_000000')).toEqual([
      expect.stringMatching(/^Began waiting, at most 15 s, until /),
      'Went down "Event came"; went on to Send Email “Thanks”.',
    ]);
    expect(await story(byCondition.runId, 'ct_000002')).toEqual([
      expect.stringMatching(/^Began waiting, at most 15 s/),
      'Went down "Timed out"; went on to Send Email “Still here”.',
    ]);
    // The event woke the campaign (its wake signal) rather than a poll.
    const history = await byEvent.handle.fetchHistory();
    const signals = (history.events ?? []).flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? []);
    expect(signals).toContain('wake');
    record('campaign-wait-until.json', history);
  });
});

describe('a campaign with a Webhook', () => {
  it('calls it per recipient, signed: Succeeded on a 200, again after a 500, and Failed on a 400', async () => {
    const before = env.received.length;
    const body = '{"email": "{{ email }}", "name": "{{ name }}"}';
    const hook = { type: 'webhook', data: { url: `http://127.0.0.1:${port}/hook`, body } };
    const { runId, handle } = await env.run('hooked', campaign(hook, ['success', 'Hooked'], ['failure', 'Not hooked']), AUDIENCE);
    expect(await handle.result()).toMatchObject({ status: 'completed', sent: 3, failed: 0 });

    const got = gotBy(before);
    expect(got('person0@example.test')).toEqual(['Hooked']);
    expect(got('person1@example.test')).toEqual(['Hooked']);
    expect(got('person2@example.test')).toEqual(['Not hooked']);

    // Every request signed with the flow's secret over "t.body".
    const secret = webhookSecret(INSTALL_KEY, 'hooked');
    expect(seen.map((s) => s.email).sort()).toEqual(['person0@example.test', 'person1@example.test', 'person1@example.test', 'person2@example.test']);
    for (const s of seen) {
      const { t, v1 } = Object.fromEntries(s.signature.split(',').map((part) => part.split('=') as [string, string]));
      expect(v1).toBe(createHmac('sha256', secret).update(`${t}.${s.body}`).digest('hex'));
    }
    // Each call's answer is in the recipient's calls and story.
    const calls = async (contactId: string) =>
      (await contactWebhookCalls(env.db, contactId)).filter((c) => c.runId === runId).map((c) => [c.attempt, c.status, c.outcome]);
    expect(await calls('ct_000001')).toEqual([
      [2, 200, 'succeeded'],
      [1, 500, 'retry'],
    ]);
    expect(await calls('ct_000002')).toEqual([[1, 400, 'failed']]);
    const story = (await recipientStory(env.db, admin, runId, 'ct_000001')).entries.map((e) => e.text);
    expect(story).toEqual(
      expect.arrayContaining([
        'Webhook call #1: retry (HTTP 500), 500 Internal Server Error.',
        'Webhook call #2: succeeded (HTTP 200), 200 OK.',
        'Went down "Succeeded"; went on to Send Email “Hooked”.',
      ]),
    );
    // One page of calls: one activity, retried by Temporal (the retry is its second attempt, not another activity).
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    expect(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'callWebhooks')).toHaveLength(1);
    const started = events.flatMap((e) => e.activityTaskStartedEventAttributes ?? []);
    expect(started.some((s) => s.attempt === 2)).toBe(true);
    record('campaign-webhook.json', history);
  });
});
