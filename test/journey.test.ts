/**
 * The journey workflow on a real Temporal server (Temporal's Java test server, time-skipping),
 * with the real sendEmail activity sending through a real SMTP server.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSend } from '../server/db/deliveries';
import { setFrequencyCap } from '../server/db/frequency-cap';
import { updateSmtpProfile } from '../server/db/smtp-profiles';
import type { Db } from '../server/db';
import { decryptSecret, encryptSecret, makeKeyring } from '../server/crypto';
import { journeyWorkflowId } from '../workflows/contracts';
import { createSendEmail } from '../activities/send-email';
import { threadedTransports } from '../server/smtp/send-thread';
import { startSandboxSmtp, type SandboxSmtp } from '../server/sandbox-smtp';
import type { ReceivedMessage } from '../server/db/sandbox';
import type { SendEmailData } from '../domain/flow/nodes/send-email';
import { journeyWorkflow } from '../workflows/journey';
import {
  attemptsOf,
  graphWithDelay,
  localSmtpPolicy,
  profileInput,
  publishForTest,
  root,
  tempInstall,
  timeSkippingTemporal,
  workflowOptions,
} from './helpers';

const DAY = 86_400_000;
let env: TestWorkflowEnvironment;
let smtp: SandboxSmtp;
let db: Db;
const received: ReceivedMessage[] = [];
const keyring = makeKeyring(randomBytes(32));
const transports = threadedTransports((enc, profileId) => decryptSecret(keyring, enc, profileId), localSmtpPolicy);
const PASSWORD = 'pw-never-in-history-7f3a';

beforeAll(async () => {
  env = await timeSkippingTemporal();
  // The server accepts only the right login, so a send that arrives proves the password was decrypted.
  smtp = await startSandboxSmtp({ port: 0, login: { user: 'mailer', password: PASSWORD }, onMessage: async (m) => void received.push(m) });
  ({ db } = await tempInstall());
  // A profile with credentials, pointing at the test SMTP server.
  await updateSmtpProfile(
    db,
    'sandbox',
    profileInput({ port: smtp.port, username: 'mailer', fromName: 'Acme Team', fromEmail: 'news@acme.test', replyTo: 'help@acme.test' }),
    encryptSecret(keyring, PASSWORD, 'sandbox'),
  );
});

afterAll(async () => {
  transports.close();
  await smtp?.close();
  await db?.destroy();
  await env?.teardown();
});

async function runJourney(flowId: string, delay: Parameters<typeof graphWithDelay>[0], contactId = 'ct_ada', send?: Partial<SendEmailData>) {
  const runId = `run-${flowId}`;
  const graph = graphWithDelay(delay);
  if (send) graph.nodes = graph.nodes.map((n) => (n.type === 'sendEmail' ? { ...n, data: { ...n.data, ...send } } : n));
  const plan = await publishForTest(db, flowId, graph);
  const workflowId = journeyWorkflowId(flowId, 1, contactId, runId);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: `test-${flowId}`,
    ...workflowOptions(),
    activities: { sendEmail: createSendEmail({ db, transports, messageIdSecret: Buffer.alloc(32, 1) }) },
  });
  const startedAt = await env.currentTimeMs();
  const result = await worker.runUntil(
    env.client.workflow.execute(journeyWorkflow, { taskQueue: `test-${flowId}`, workflowId, args: [{ plan, runId, contactId }] }),
  );
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return { result, runId, workflowId, startedAt, history, endedAt: await env.currentTimeMs() };
}

describe('journey workflow', () => {
  it('waits 3 days at once in skipped time, then sends through a real SMTP server', async () => {
    const { result, runId, startedAt, endedAt, history } = await runJourney('three-days', { mode: 'fixed', amount: 3, unit: 'days' });
    expect(result).toEqual({ status: 'completed', nodeId: 'end', sent: 1 });
    expect(endedAt - startedAt).toBeGreaterThanOrEqual(3 * DAY);

    expect(received).toHaveLength(1);
    const message = received[0]!;
    expect(message.envelopeTo).toBe('ada@example.test');
    expect(message.fromHeader).toBe('"Acme Team" <news@acme.test>');
    expect(message.replyTo).toBe('help@acme.test');
    expect(message.subject).toBe('Hi Ada Lovelace');
    // A campaign's message: the unsubscribe link (the body does not place it) is appended, as in List-Unsubscribe.
    expect(message.text.trim()).toMatch(
      /^Hello Ada Lovelace\n\n--\nTo stop receiving these emails, unsubscribe: http:\/\/localhost:3000\/unsubscribe\/\S+$/,
    );
    expect(message.raw).toMatch(/^List-Unsubscribe:\s+<http:\/\/localhost:3000\/unsubscribe\/\S+>\r?$/m);
    expect(message.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);

    expect((await getSend(db, { runId, nodeId: 'send', contactId: 'ct_ada' }))?.status).toBe('SENT');
    const attempts = await attemptsOf(db, runId);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ outcome: 'sent', smtpCode: 250, attempt: 1 });
    expect(attempts[0]?.smtpReply).toMatch(/queued as sandbox-1/);
    expect(attempts[0]?.messageId).toBe(message.messageId);

    // The password was used to log in, yet it is nowhere in the workflow's history.
    expect(historyToJSON(history)).not.toContain(PASSWORD);
  });

  it('draws a random delay within bounds, and records a history the replay test reuses', async () => {
    const { result, history } = await runJourney('random', { mode: 'random', min: 1, max: 3, unit: 'hours' });
    expect(result.status).toBe('completed');
    const timers = history.events?.filter((e) => e.timerStartedEventAttributes) ?? [];
    expect(timers).toHaveLength(1);
    const seconds = Number(timers[0]!.timerStartedEventAttributes!.startToFireTimeout!.seconds);
    expect(seconds).toBeGreaterThanOrEqual(3600);
    expect(seconds).toBeLessThanOrEqual(3 * 3600);
    if (process.env.DRIPLINE_RECORD_HISTORY === '1') {
      fs.writeFileSync(path.join(root, 'test', 'histories', 'journey-random-delay.json'), historyToJSON(history));
    }
  });

  it('sends an HTML step as the plan says: HTML and text parts, preheader, the node’s reply-to', async () => {
    const before = received.length;
    const html = {
      format: 'html' as const,
      html: '<html><body><p>Hi {{ name }}</p></body></html>',
      preheader: 'Inside: {{ name }}',
      replyTo: 'team@acme.test',
    };
    const { result } = await runJourney('html-step', { mode: 'fixed', amount: 1, unit: 'minutes' }, 'ct_ada', html);
    expect(result).toEqual({ status: 'completed', nodeId: 'end', sent: 1 });
    const message = received[before];
    expect(message?.replyTo).toBe('team@acme.test');
    expect(message?.raw).toMatch(/Content-Type: multipart\/alternative/i);
    expect(message?.raw).toContain('Inside: Ada Lovelace</div><p>Hi Ada Lovelace</p>');
    expect(message?.text.trim()).toMatch(/^Hello Ada Lovelace\n/);
  });

  it('waits at the frequency cap in skipped time, then sends: the other flow’s email left the day', async () => {
    // One marketing email a day, and Ada had one from another flow an hour ago (by Temporal's clock).
    const earlier = (await env.currentTimeMs()) - 3_600_000;
    await db
      .insertInto('deliveryAttempts')
      .values({
        runId: 'run-other-flow',
        nodeId: 'send',
        contactId: 'ct_ada',
        workflowId: 'wf-other',
        attempt: 1,
        outcome: 'sent',
        smtpCode: 250,
        smtpReply: '250 OK',
        messageId: '<other@acme.test>',
        at: new Date(earlier).toISOString(),
      })
      .execute();
    await setFrequencyCap(db, { maxEmails: 1, periodHours: 24 });
    const before = received.length;
    try {
      const { result, runId, endedAt } = await runJourney('capped-wait', { mode: 'fixed', amount: 0, unit: 'seconds' }, 'ct_ada', {
        whenCapped: 'wait',
      });
      expect(result).toEqual({ status: 'completed', nodeId: 'end', sent: 1 });
      expect(endedAt).toBeGreaterThanOrEqual(earlier + DAY);
      expect(received.length).toBe(before + 1);
      // Capped (checked again on each durable retry) until the window ends, then sent once.
      const outcomes = (await attemptsOf(db, runId)).map((a) => a.outcome);
      expect(outcomes[0]).toBe('frequency_capped');
      expect(outcomes.slice(0, -1).every((o) => o === 'frequency_capped')).toBe(true);
      expect(outcomes.at(-1)).toBe('sent');
    } finally {
      await setFrequencyCap(db, null);
    }
  });
});
