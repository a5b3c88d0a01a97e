/**
 * Campaigns on a real Temporal server (the dev server) and a real SMTP server: one workflow walks the
 * plan for the whole audience, in batches, and every recipient gets exactly one message.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { CancelledFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawDelayMs, keyedRandom } from '../domain/flow/draw';
import { listContacts } from '../server/db/contacts';
import { recipientCounts } from '../server/db/recipients';
import { getRun, listRunAttempts, listRunRecipients } from '../server/db/runs';
import { controlRun } from '../server/runs/control';
import { recipientStory } from '../server/runs/story';
import { startRun, type StartRunRequest } from '../server/runs/start';
import { type CampaignResult, type CampaignState, campaignWorkflowId, retryWorkflowId, stateQuery } from '../workflows/contracts';
import { admin, campaignEnv, type CampaignEnv, until } from './campaign-env';
import { graphWithDelay, publishForTest, root } from './helpers';

let env: CampaignEnv;
beforeAll(async () => {
  env = await campaignEnv({ contacts: 5000, taskQueue: 'campaign-test', inProcessWorker: true });
});
afterAll(async () => env?.close());

describe('a campaign', () => {
  it('sends everyone (5,003 contacts) with a Randomize delay exactly one message each, every wait drawn inside [min, max]', async () => {
    const before = env.received.length;
    const { runId, handle } = await env.run('randomized', graphWithDelay({ mode: 'random', min: 1, max: 3, unit: 'seconds' }), {
      idempotencyKey: 'k-randomized',
    });
    const result: CampaignResult = await handle.result();
    expect(result).toMatchObject({ status: 'completed', sent: 5003, failed: 0, handedOff: 0 });

    const mine = env.received.slice(before);
    expect(mine).toHaveLength(5003);
    expect(new Set(mine.map((m) => m.messageId)).size).toBe(5003);
    expect(new Set(mine.map((m) => m.to)).size).toBe(5003);
    expect((await recipientCounts(env.db, runId, Date.now())).completed).toBe(5003);
    expect((await getRun(env.db, runId))?.status).toBe('completed');

    // Each contact's wait is drawn from the run's seed and its own id: inside [1 s, 3 s], and spread out.
    const state: CampaignState = await handle.query(stateQuery);
    const idByEmail = new Map((await listContacts(env.db)).map((c) => [c.email, c.id]));
    const draws = mine.map((m) => drawDelayMs(1000, 3000, () => keyedRandom(state.seed, `wait\n${idByEmail.get(m.to)}`)));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...draws)).toBeLessThanOrEqual(3000);
    expect(draws.filter((d) => d < 2000).length).toBeGreaterThan(1000);
    expect(draws.filter((d) => d >= 2000).length).toBeGreaterThan(1000);
    // No one was sent before their own wait was over.
    expect(mine.filter((m, i) => m.at < state.startedAt + draws[i]!)).toEqual([]);
  });

  it('starts one run for one idempotency key, however often it is asked', async () => {
    const plan = await publishForTest(env.db, 'twice', graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' }));
    const request: StartRunRequest = {
      flowId: 'twice',
      version: plan.version,
      audience: { kind: 'contacts', contactIds: ['ct_000001', 'ct_000002'] },
      idempotencyKey: 'same-key',
    };
    const [a, b] = await Promise.all([
      startRun(env.db, env.client, env.config, admin, request),
      startRun(env.db, env.client, env.config, admin, request),
    ]);
    const c = await startRun(env.db, env.client, env.config, admin, request);
    expect(new Set([a.runId, b.runId, c.runId]).size).toBe(1);
    expect([a.created, b.created, c.created].filter(Boolean)).toHaveLength(1);
    await env.client.workflow.getHandle(campaignWorkflowId(a.runId)).result();
    const recipients = await listRunRecipients(env.db, a.runId, { offset: 0, limit: 10 });
    expect(recipients.total).toBe(2);
    expect(recipients.items.map((r) => r.status)).toEqual(['completed', 'completed']);
    expect((await listRunAttempts(env.db, a.runId, { offset: 0, limit: 10 })).total).toBe(2);
  });

  it('sends nothing after cancel', async () => {
    const before = env.received.length;
    const { runId, handle } = await env.run('cancelled', graphWithDelay({ mode: 'fixed', amount: 30, unit: 'seconds' }));
    await until('everyone enrolled', async () => (await recipientCounts(env.db, runId, Date.now())).waiting === 5003);
    await controlRun(env.db, env.client, runId, 'cancel');
    // Temporal calls it what it is: cancelled, not a green "Completed".
    const ended = await handle.result().catch((err: unknown) => err);
    expect(ended).toBeInstanceOf(WorkflowFailedError);
    expect((ended as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect((await recipientCounts(env.db, runId, Date.now())).cancelled).toBe(5003);
    expect((await getRun(env.db, runId))?.status).toBe('cancelled');
    expect(env.received.length).toBe(before);
    await expect(controlRun(env.db, env.client, runId, 'resume')).rejects.toMatchObject({ status: 409 });
  });

  it('pauses, sends nothing while paused, and resumes to send everyone once', async () => {
    const before = env.received.length;
    const { runId, handle } = await env.run('paused', graphWithDelay({ mode: 'fixed', amount: 2, unit: 'seconds' }), {
      audience: { kind: 'contacts', contactIds: Array.from({ length: 300 }, (_, i) => `ct_${String(i).padStart(6, '0')}`) },
    });
    await controlRun(env.db, env.client, runId, 'pause');
    await until('the run to pause', async () => (await getRun(env.db, runId))?.status === 'paused');
    // Everyone's delay is over while the run is paused: still nothing goes out.
    await until('the delay to pass', async () => (await recipientCounts(env.db, runId, Date.now())).due === 300);
    expect(env.received.length).toBe(before);
    await controlRun(env.db, env.client, runId, 'resume');
    expect(await handle.result()).toMatchObject({ status: 'completed', sent: 300 });
    const mine = env.received.slice(before);
    expect(new Set(mine.map((m) => m.to)).size).toBe(300);
    expect(mine).toHaveLength(300);
    if (process.env.DRIPLINE_RECORD_HISTORY === '1') {
      fs.writeFileSync(path.join(root, 'test', 'histories', 'campaign-pause-resume.json'), historyToJSON(await handle.fetchHistory()));
    }
  });

  it("hands a recipient that keeps failing to its own retry workflow, whose history holds that recipient's attempts", async () => {
    const flaky = 'person7@example.test';
    let refusals = 0;
    env.answers.set(flaky, () => (refusals++ < 4 ? { code: 451, text: '4.7.1 Greylisted, try again later' } : undefined));
    const before = env.received.length;
    const { runId, handle } = await env.run('flaky', graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' }), {
      audience: { kind: 'contacts', contactIds: ['ct_000006', 'ct_000007', 'ct_000008'] },
    });
    expect(await handle.result()).toMatchObject({ status: 'completed', sent: 2, handedOff: 1 });
    expect(
      env.received
        .slice(before)
        .map((m) => m.to)
        .sort(),
    ).toEqual(['person6@example.test', 'person7@example.test', 'person8@example.test']);

    const recipient = (await listRunRecipients(env.db, runId, { offset: 0, limit: 10 })).items.find((r) => r.email === flaky);
    expect(recipient).toMatchObject({ status: 'completed', workflowId: retryWorkflowId(runId, 'send', 'ct_000007') });
    const attempts = (await listRunAttempts(env.db, runId, { offset: 0, limit: 50 })).items.filter((a) => a.contactId === 'ct_000007').reverse();
    // Three quick attempts in the batch (the campaign's history), then the retry workflow's own.
    expect(attempts.map((a) => [a.workflowId.split(':')[0], a.outcome])).toEqual([
      ['campaign', 'retrying'],
      ['campaign', 'retrying'],
      ['campaign', 'retrying'],
      ['retry', 'retrying'],
      ['retry', 'sent'],
    ]);
    const history = await env.client.workflow.getHandle(recipient!.workflowId).fetchHistory();
    expect(history.events?.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendEmail')).toHaveLength(1);
    expect(history.events?.some((e) => e.activityTaskCompletedEventAttributes)).toBe(true);

    // The Web UI lists the run's retries by their search attributes: run, flow, contact, and the outcome set as it ended.
    const listed = async (query: string) => {
      const ids: string[] = [];
      for await (const w of env.client.workflow.list({ query })) ids.push(w.workflowId);
      return ids;
    };
    // Replayed by test/replay.test.ts. Re-record: DRIPLINE_RECORD_HISTORY=1 npx vitest run test/campaign.test.ts -t "own retry workflow"
    if (process.env.DRIPLINE_RECORD_HISTORY === '1') {
      fs.writeFileSync(path.join(root, 'test', 'histories', 'retry-outcome.json'), historyToJSON(history));
    }
    const retried = `DriplineRun = "${runId}" AND DriplineFlow = "flaky" AND DriplineContact = "ct_000007"`;
    await until('the retry listed by its outcome', async () => (await listed(`${retried} AND DriplineOutcome = "sent"`)).length === 1);
    expect(await listed(`${retried} AND DriplineOutcome = "sent"`)).toEqual([recipient!.workflowId]);
    expect(await listed(`DriplineRun = "${runId}" AND DriplineOutcome = "failed"`)).toEqual([]);
    // The recipient's story links exactly their own retry workflow, and tells each attempt with its reply.
    const story = await recipientStory(env.db, admin, runId, 'ct_000007');
    expect(story.retryWorkflowId).toBe(recipient!.workflowId);
    expect(story.entries.filter((e) => e.kind === 'attempt').map((e) => [e.reply?.code, e.reply?.advice])).toEqual([
      [451, 'The server asked to try later (greylisting, rate or mailbox full). Dripline tries again.'],
      [451, 'The server asked to try later (greylisting, rate or mailbox full). Dripline tries again.'],
      [451, 'The server asked to try later (greylisting, rate or mailbox full). Dripline tries again.'],
      [451, 'The server asked to try later (greylisting, rate or mailbox full). Dripline tries again.'],
      [250, 'Accepted by the receiving server. A bounce mailed back later is not seen here.'],
    ]);
  });
});
