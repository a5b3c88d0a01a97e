/**
 * Retries that end: a journey's send that keeps failing temporarily is retried (with backoff, in
 * Temporal's skipped time) for the profile's retry time, then the recipient fails with the last reply
 * and how long it was tried. Its delivery log counts up, one number a row. Real Temporal test server,
 * real sendEmail activity, real SMTP server.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendEmail } from '../activities/send-email';
import type { Db } from '../server/db';
import { getSend } from '../server/db/deliveries';
import { updateSmtpProfile } from '../server/db/smtp-profiles';
import { journeyWorkflowId } from '../workflows/contracts';
import { startSandboxSmtp, type SandboxSmtp } from '../server/sandbox-smtp';
import { threadedTransports } from '../server/smtp/send-thread';
import { journeyWorkflow } from '../workflows/journey';
import {
  attemptsOf,
  graphWithDelay,
  localSmtpPolicy,
  profileInput,
  publishForTest,
  tempInstall,
  timeSkippingTemporal,
  workflowOptions,
} from './helpers';

let env: TestWorkflowEnvironment;
let smtp: SandboxSmtp;
let db: Db;
const transports = threadedTransports(() => '', localSmtpPolicy);

beforeAll(async () => {
  env = await timeSkippingTemporal();
  // Every recipient is answered "try again later", for ever.
  smtp = await startSandboxSmtp({
    port: 0,
    onMessage: async () => {},
    answerRecipient: () => ({ code: 451, text: '4.3.0 Mailbox temporarily unavailable' }),
  });
  ({ db } = await tempInstall());
  await updateSmtpProfile(db, 'sandbox', profileInput({ port: smtp.port, fromEmail: 'news@acme.test', retryForHours: 1 }), '');
});

afterAll(async () => {
  transports.close();
  await smtp?.close();
  await db?.destroy();
  await env?.teardown();
});

describe('retries that end', () => {
  it('fails the recipient after the profile’s retry time, with the last reply and how long it was tried', async () => {
    const flowId = 'give-up';
    const runId = `run-${flowId}`;
    const plan = await publishForTest(db, flowId, graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' }));
    const workflowId = journeyWorkflowId(flowId, 1, 'ct_ada', runId);
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: `test-${flowId}`,
      ...workflowOptions(),
      activities: { sendEmail: createSendEmail({ db, transports, messageIdSecret: Buffer.alloc(32, 1) }) },
    });
    const result = await worker.runUntil(
      env.client.workflow.execute(journeyWorkflow, { taskQueue: `test-${flowId}`, workflowId, args: [{ plan, runId, contactId: 'ct_ada' }] }),
    );

    expect(result).toMatchObject({
      status: 'failed',
      nodeId: 'send',
      sent: 0,
      error: 'gave up after 1 hour: 451 4.3.0 Mailbox temporarily unavailable',
    });
    expect((await getSend(db, { runId, nodeId: 'send', contactId: 'ct_ada' }))?.status).toBe('FAILED');

    const attempts = await attemptsOf(db, runId);
    // Retried with backoff for the hour (2 s, 4 s, ... then 10 minutes apart: about 15 tries), not a few times nor in a loop.
    expect(attempts.length).toBeGreaterThan(8);
    expect(attempts.length).toBeLessThan(30);
    expect(attempts.map((a) => a.attempt)).toEqual(attempts.map((_, i) => i + 1));
    expect(attempts.slice(0, -1).every((a) => a.outcome === 'retrying' && a.smtpCode === 451)).toBe(true);
    expect(attempts.at(-1)).toMatchObject({
      outcome: 'failed',
      smtpCode: 451,
      smtpReply: 'gave up after 1 hour: 451 4.3.0 Mailbox temporarily unavailable',
    });
  });
});
