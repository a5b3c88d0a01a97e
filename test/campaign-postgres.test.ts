/**
 * A campaign with the app database on PostgreSQL, on a real Temporal server and a real SMTP server,
 * with two workers on its task queue (one in this process, one spawned as production runs it, with
 * DATABASE_URL), whose batches may claim side by side: every recipient gets exactly one message; a paused
 * run sends nothing until resumed, and a recipient that keeps failing goes to its own retry workflow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectOf } from '../server/db';
import { recipientCounts } from '../server/db/recipients';
import { getRun, listRunAttempts, listRunRecipients } from '../server/db/runs';
import { controlRun } from '../server/runs/control';
import { type CampaignResult, retryWorkflowId } from '../workflows/contracts';
import { campaignEnv, type CampaignEnv, until } from './campaign-env';
import { graphWithDelay } from './helpers';

let env: CampaignEnv;
beforeAll(async () => {
  env = await campaignEnv({ contacts: 2000, taskQueue: 'campaign-postgres-test', inProcessWorker: true, database: 'postgres' });
});
afterAll(async () => env?.close());

describe('a campaign on PostgreSQL', () => {
  it('sends everyone (2,003 contacts) exactly one message, with a second worker (spawned) on the same task queue', async () => {
    expect(dialectOf(env.db)).toBe('postgres');
    env.spawnWorker();
    const before = env.received.length;
    const { runId, handle } = await env.run('on-postgres', graphWithDelay({ mode: 'random', min: 1, max: 2, unit: 'seconds' }));
    const result: CampaignResult = await handle.result();
    expect(result).toMatchObject({ status: 'completed', sent: 2003, failed: 0, handedOff: 0 });
    const mine = env.received.slice(before);
    expect(mine).toHaveLength(2003);
    expect(new Set(mine.map((m) => m.messageId)).size).toBe(2003);
    expect(new Set(mine.map((m) => m.to)).size).toBe(2003);
    expect(await recipientCounts(env.db, runId, Date.now())).toMatchObject({ completed: 2003, messagesSent: 2003, sending: 0 });
    expect((await getRun(env.db, runId))?.status).toBe('completed');
  });

  it('pauses, sends nothing while paused, resumes, and hands a recipient that keeps failing to its own retry workflow', async () => {
    const flaky = 'person7@example.test';
    let refusals = 0;
    env.answers.set(flaky, () => (refusals++ < 4 ? { code: 451, text: '4.7.1 Greylisted, try again later' } : undefined));
    const before = env.received.length;
    const { runId, handle } = await env.run('paused-flaky', graphWithDelay({ mode: 'fixed', amount: 2, unit: 'seconds' }), {
      audience: { kind: 'contacts', contactIds: Array.from({ length: 50 }, (_, i) => `ct_${String(i).padStart(6, '0')}`) },
    });
    await controlRun(env.db, env.client, runId, 'pause');
    await until('the run to pause', async () => (await getRun(env.db, runId))?.status === 'paused');
    await until('the delay to pass', async () => (await recipientCounts(env.db, runId, Date.now())).due === 50);
    expect(env.received.length).toBe(before);
    await controlRun(env.db, env.client, runId, 'resume');
    expect(await handle.result()).toMatchObject({ status: 'completed', sent: 49, handedOff: 1 });
    const mine = env.received.slice(before);
    expect(mine).toHaveLength(50);
    expect(new Set(mine.map((m) => m.to)).size).toBe(50);
    const recipient = (await listRunRecipients(env.db, runId, { offset: 0, limit: 100 })).items.find((r) => r.email === flaky);
    expect(recipient).toMatchObject({ status: 'completed', workflowId: retryWorkflowId(runId, 'send', 'ct_000007') });
    const attempts = (await listRunAttempts(env.db, runId, { offset: 0, limit: 200 })).items.filter((a) => a.contactId === 'ct_000007');
    expect(attempts.map((a) => a.outcome).sort()).toEqual(['retrying', 'retrying', 'retrying', 'retrying', 'sent']);
  });
});
