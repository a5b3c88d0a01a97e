/**
 * The Webhook step in journeys on a real Temporal server, against a real HTTP server (node:http) on
 * 127.0.0.1 that the worker's DRIPLINE_WEBHOOK_ALLOWED_HOSTS lets it reach: two 503s then a 200 are
 * retried by Temporal and take "Succeeded", each request signed so the receiver can verify it; a 400
 * takes "Failed" at once. Each attempt's status is in the contact's calls. The first journey's history
 * is committed (test/histories/journey-webhook.json) for test/replay.test.ts. Re-record after an
 * intended change behind patched(): DRIPLINE_RECORD_HISTORY=1 npx vitest run test/webhook-temporal.test.ts
 */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateContact } from '../server/db/contacts';
import { contactWebhookCalls } from '../server/db/webhook-calls';
import { parseAllowedTarget } from '../server/smtp/allow-list';
import { webhookSecret } from '../server/webhooks';
import { journeyWorkflowId } from '../workflows/contracts';
import { journeyWorkflow } from '../workflows/journey';
import { campaignEnv, type CampaignEnv, INSTALL_KEY } from './campaign-env';
import { publishForTest, root } from './helpers';
import { CONTACT_BODY, webhookFlow } from './webhook-flows';

const TASK_QUEUE = 'webhook-test';
const CONTACT = 'ct_000000';
const NAME = 'Ann "Quotes" O’Neil';

interface Seen {
  path: string;
  signature: string;
  body: string;
}
const seen: Seen[] = [];
let flakyFailures = 2;
let receiver: http.Server;
let port = 0;
let env: CampaignEnv;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', signature: String(req.headers['x-dripline-signature'] ?? ''), body });
      if (req.url === '/reject') res.writeHead(400).end('no such customer');
      else if (flakyFailures-- > 0) res.writeHead(503).end('busy');
      else res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  port = (receiver.address() as AddressInfo).port;
  env = await campaignEnv({
    contacts: 1,
    taskQueue: TASK_QUEUE,
    inProcessWorker: true,
    webhookPolicy: { allowed: [parseAllowedTarget(`127.0.0.1:${port}`)] },
  });
  await updateContact(env.db, CONTACT, { name: NAME });
});

afterAll(async () => {
  await env?.close();
  receiver?.close();
});

async function journey(flowId: string, url: string) {
  const plan = await publishForTest(env.db, flowId, webhookFlow(url, CONTACT_BODY));
  const runId = `${flowId}-run`;
  const workflowId = journeyWorkflowId(flowId, plan.version, CONTACT, runId);
  const result = await env.client.workflow.execute(journeyWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId,
    args: [{ plan, runId, contactId: CONTACT }],
  });
  return { result, runId, workflowId };
}

describe('a journey’s Webhook', () => {
  it('retries two 503s, takes Succeeded on the 200, and signs every request with the flow’s secret', async () => {
    const { result, runId, workflowId } = await journey('hook-ok', `http://127.0.0.1:${port}/flaky`);
    expect(result).toEqual({ status: 'completed', nodeId: 'sent', sent: 0 });

    const requests = seen.filter((s) => s.path === '/flaky');
    expect(requests).toHaveLength(3);
    const secret = webhookSecret(INSTALL_KEY, 'hook-ok');
    for (const r of requests) {
      const { t, v1 } = Object.fromEntries(r.signature.split(',').map((part) => part.split('=') as [string, string]));
      expect(v1).toBe(createHmac('sha256', secret).update(`${t}.${r.body}`).digest('hex'));
      expect(JSON.parse(r.body)).toEqual({ email: 'person0@example.test', name: NAME, plan: 'free' });
    }

    const calls = (await contactWebhookCalls(env.db, CONTACT)).filter((c) => c.runId === runId).reverse();
    expect(calls.map((c) => [c.attempt, c.status, c.outcome, c.nodeId])).toEqual([
      [1, 503, 'retry', 'hook'],
      [2, 503, 'retry', 'hook'],
      [3, 200, 'succeeded', 'hook'],
    ]);

    // One activity, retried by Temporal (its attempts are not separate events), completed once.
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    expect(events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [])).toEqual(['callWebhook']);
    expect(events.find((e) => e.activityTaskStartedEventAttributes)?.activityTaskStartedEventAttributes?.attempt).toBe(3);
    if (process.env.DRIPLINE_RECORD_HISTORY === '1') {
      fs.writeFileSync(path.join(root, 'test', 'histories', 'journey-webhook.json'), historyToJSON(history));
    }
  });

  it('takes Failed at once on a 400: one request, no retry', async () => {
    const { result, runId } = await journey('hook-rejected', `http://127.0.0.1:${port}/reject`);
    expect(result).toEqual({ status: 'completed', nodeId: 'not-sent', sent: 0 });
    expect(seen.filter((s) => s.path === '/reject')).toHaveLength(1);
    const calls = (await contactWebhookCalls(env.db, CONTACT)).filter((c) => c.runId === runId);
    expect(calls.map((c) => [c.attempt, c.status, c.outcome, c.detail])).toEqual([[1, 400, 'failed', '400 Bad Request']]);
  });
});
