/**
 * The Webhook step without Temporal: its schema (errors at their field), allowed in a campaign,
 * publishing (the body must render to JSON for a sample contact), the signature, the body's escaping,
 * the call log on SQLite and PostgreSQL, and the outbound guard against a real node:http server on
 * 127.0.0.1 (refused unless DRIPLINE_WEBHOOK_ALLOWED_HOSTS allows it). The journey itself:
 * test/webhook-temporal.test.ts.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../domain/flow/compile';
import { readConfig } from '../server/config';
import type { Db } from '../server/db';
import { saveFlowDraft } from '../server/db/flows';
import { insertEventEntry } from '../server/db/event-entries';
import { contactWebhookCalls, recordWebhookCall } from '../server/db/webhook-calls';
import { UserError } from '../server/errors';
import { publishFlow } from '../server/flows';
import { postWebhook, renderWebhookBody, signWebhook, webhookOutboundPolicy, webhookScope, webhookSecret } from '../server/webhooks';
import { databases, tempInstallOn } from './databases';
import { CONTACT_BODY, webhookFlow } from './webhook-flows';

const meta = { flowId: 'f', version: 1 };
const errorsOf = (url: string, body = CONTACT_BODY, source: 'event' | 'audience' = 'event') => {
  const r = compile(webhookFlow(url, body, source), meta);
  return r.ok ? [] : r.errors;
};

describe('the Webhook’s schema', () => {
  it('compiles into a step with the URL, the body and the next node of each outcome', () => {
    const r = compile(webhookFlow('https://hooks.example.com/in', CONTACT_BODY), meta);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.plan.steps.hook).toEqual({
      type: 'webhook',
      url: 'https://hooks.example.com/in',
      body: CONTACT_BODY,
      success: 'sent',
      failure: 'not-sent',
    });
  });

  it('names the URL field and the fix: not http(s), empty, with a login in it', () => {
    const urlError = {
      nodeId: 'hook',
      field: 'data.url',
      message: 'enter an http:// or https:// URL without a login in it, e.g. https://example.com/hooks/dripline',
    };
    expect(errorsOf('ftp://files.example.com/x')).toEqual([urlError]);
    expect(errorsOf('')).toEqual([urlError]);
    expect(errorsOf('https://user:secret@example.com/')).toEqual([urlError]);
  });

  it('is allowed in a campaign, with its two branches in the plan', () => {
    expect(errorsOf('https://hooks.example.com/in', CONTACT_BODY, 'audience')).toEqual([]);
    const r = compile(webhookFlow('https://hooks.example.com/in', CONTACT_BODY, 'audience'), meta);
    expect(r.ok && r.plan.steps.hook).toMatchObject({ type: 'webhook', success: 'sent', failure: 'not-sent' });
  });
});

describe('the body and its signature', () => {
  it('escapes text values for JSON: a name with quotes, a backslash and a line break still gives valid JSON', async () => {
    const name = 'Ann "Quotes" \\ O’Neil\nsecond line';
    const body = await renderWebhookBody(CONTACT_BODY, webhookScope({ name, email: 'ann@example.test', attributes: { plan: 'pro', seats: 3 } }));
    expect(JSON.parse(body)).toEqual({ email: 'ann@example.test', name, plan: 'pro' });
  });

  it('signs "t.body" with the flow’s own secret, which differs by flow and by install key', () => {
    const key = Buffer.alloc(32, 9);
    const secret = webhookSecret(key, 'welcome');
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(webhookSecret(key, 'other')).not.toBe(secret);
    expect(webhookSecret(Buffer.alloc(32, 8), 'welcome')).not.toBe(secret);
    const header = signWebhook(secret, '{"a":1}', 1_800_000_000);
    // What a receiver does (docs/webhooks.md): split the header, recompute the HMAC over "t.body".
    const { t, v1 } = Object.fromEntries(header.split(',').map((part) => part.split('=') as [string, string]));
    expect(t).toBe('1800000000');
    expect(v1).toBe(createHmac('sha256', secret).update(`${t}.{"a":1}`).digest('hex'));
  });
});

describe('the outbound guard for webhooks, against a real HTTP server on 127.0.0.1', () => {
  let server: http.Server;
  let port = 0;
  const seen: { signature: string | undefined; body: string }[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ signature: req.headers['x-dripline-signature'] as string | undefined, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server?.close());

  it('refuses loopback by default (the server sees nothing), and reaches it once the admin allows the address and port', async () => {
    const strict = webhookOutboundPolicy(readConfig({ DRIPLINE_DATA_DIR: '/tmp/unused' }));
    const refused = await postWebhook(strict, `http://127.0.0.1:${port}/hook`, '{}', 't=1,v1=x');
    expect(refused).toMatchObject({
      status: null,
      refused: true,
      error: expect.stringMatching(/127\.0\.0\.1 resolves to a loopback \(this machine\) address/),
    });
    expect(seen).toEqual([]);

    const allowed = webhookOutboundPolicy(readConfig({ DRIPLINE_DATA_DIR: '/tmp/unused', DRIPLINE_WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${port}` }));
    expect(await postWebhook(allowed, `http://127.0.0.1:${port}/hook`, '{"a":1}', 't=1,v1=x')).toEqual({ status: 204, statusText: 'No Content' });
    expect(seen).toEqual([{ signature: 't=1,v1=x', body: '{"a":1}' }]);
  });

  it('reads an allowed host without a port as the web ports 80 and 443 only', () => {
    const policy = webhookOutboundPolicy(readConfig({ DRIPLINE_DATA_DIR: '/tmp/unused', DRIPLINE_WEBHOOK_ALLOWED_HOSTS: 'hooks.corp.test' }));
    expect(policy.allowed.map((t) => [t.name, t.port])).toEqual([
      ['hooks.corp.test', 80],
      ['hooks.corp.test', 443],
    ]);
  });

  it('says what went wrong when nothing answers (a closed port), without throwing', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const policy = webhookOutboundPolicy(readConfig({ DRIPLINE_DATA_DIR: '/tmp/unused', DRIPLINE_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1:*' }));
    expect(await postWebhook(policy, `http://127.0.0.1:${closedPort}/`, '{}', 't=1,v1=x')).toMatchObject({
      status: null,
      error: expect.stringMatching(/ECONNREFUSED/),
    });
  });
});

let db: Db;
describe.each(databases)('on %s', (dialect) => {
  beforeAll(async () => {
    ({ db } = await tempInstallOn(dialect));
  });
  afterAll(async () => db?.destroy());
  const admin = { id: 'admin-test', role: 'admin' as const };

  it('publishing refuses a body that is not JSON once rendered for a sample contact, at the body’s field, and publishes one that is', async () => {
    await saveFlowDraft(db, { id: 'hook-flow', name: 'Hook', graph: webhookFlow('https://hooks.example.com/in', '{"email": {{ email }}}') });
    const refused = await publishFlow(db, 'hook-flow', admin).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(UserError);
    expect((refused as UserError).details).toEqual([
      {
        nodeId: 'hook',
        field: 'data.body',
        message: expect.stringMatching(/^for a sample contact, the body is not valid JSON once rendered \(.+\); fix the body's template$/),
      },
    ]);
    await saveFlowDraft(db, { id: 'hook-flow', name: 'Hook', graph: webhookFlow('https://hooks.example.com/in', CONTACT_BODY) });
    await expect(publishFlow(db, 'hook-flow', admin)).resolves.toMatchObject({ version: 1 });
  });

  it('keeps each attempt of a call once, newest first, for the contact’s story; an agent sees those of their own flows only', async () => {
    const call = { runId: 'r1', nodeId: 'hook', contactId: 'ct_1', at: '2026-12-07T05:00:00.000Z' };
    await recordWebhookCall(db, { ...call, attempt: 1, status: 503, outcome: 'retry', detail: '503 Service Unavailable' });
    await recordWebhookCall(db, { ...call, attempt: 1, status: 503, outcome: 'retry', detail: '503 Service Unavailable' });
    await recordWebhookCall(db, { ...call, attempt: 2, status: 200, outcome: 'succeeded', detail: '200 OK', at: '2026-12-07T05:00:02.000Z' });
    expect((await contactWebhookCalls(db, 'ct_1')).map((c) => [c.runId, c.attempt, c.status, c.outcome])).toEqual([
      ['r1', 2, 200, 'succeeded'],
      ['r1', 1, 503, 'retry'],
    ]);

    // A journey an event started in an agent's flow: that agent sees its call, with the flow's name; another agent does not.
    await saveFlowDraft(db, {
      id: 'agent-flow',
      name: 'Agent flow',
      ownerId: 'agent-1',
      graph: webhookFlow('https://hooks.example.com/in', CONTACT_BODY),
    });
    const entry = {
      flowId: 'agent-flow',
      version: 3,
      contactId: 'ct_1',
      event: 'signed_up',
      idempotencyKey: 'k1',
      workflowId: 'w1',
      apiKeyId: 'key-1',
    };
    await insertEventEntry(db, { id: 'entry-1', ...entry }, { onlyIfFirst: false });
    await recordWebhookCall(db, { ...call, runId: 'entry-1', attempt: 1, status: 400, outcome: 'failed', detail: '400 Bad Request' });
    expect(await contactWebhookCalls(db, 'ct_1', { visibleTo: 'agent-1' })).toEqual([
      expect.objectContaining({ runId: 'entry-1', status: 400, outcome: 'failed', flowName: 'Agent flow', flowVersion: 3 }),
    ]);
    expect(await contactWebhookCalls(db, 'ct_1', { visibleTo: 'agent-2' })).toEqual([]);
  });
});
