/**
 * "Send to these" on a real Temporal server and a real SMTP server: a campaign whose server rejects
 * some recipients, its reconciliation naming exactly them, then a new run for the failed, linked to
 * the first and sent with another profile, that reaches exactly them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSmtpProfile } from '../server/db/smtp-profiles';
import { reconcileCounts, reconcileList } from '../server/db/reconciliation';
import { getRun, runPlan, runsResending } from '../server/db/runs';
import { runLogFor } from '../server/runs/log';
import { sendToSet } from '../server/runs/resend';
import { campaignWorkflowId } from '../workflows/contracts';
import { DeliveryLogFilter, LogPage } from '../domain/delivery-log';
import { admin, campaignEnv, type CampaignEnv } from './campaign-env';
import { graphWithDelay, profileInput } from './helpers';

let env: CampaignEnv;
beforeAll(async () => {
  env = await campaignEnv({ contacts: 40, taskQueue: 'campaign-resend', inProcessWorker: true });
});
afterAll(async () => env?.close());

describe('send to these', () => {
  it('resends to exactly the recipients the server rejected, as a linked run with another profile', async () => {
    const rejected = ['person3@example.test', 'person11@example.test', 'person12@example.test', 'person30@example.test'];
    // The server refuses them (a policy rejection: not a bad mailbox, so they stay mailable) until it is "fixed".
    let fixed = false;
    for (const to of rejected) env.answers.set(to, () => (fixed ? undefined : { code: 554, text: '5.7.1 Message rejected by policy' }));
    const { runId, handle } = await env.run('resend-failed', graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' }));
    expect(await handle.result()).toMatchObject({ status: 'completed', failed: rejected.length });
    const everyone = new Set(env.received.map((m) => m.to)).size + rejected.length;

    const counts = await reconcileCounts(env.db, runId, Date.now());
    expect(counts).toEqual([
      { set: 'failed', reason: 'rejected', count: rejected.length },
      { set: 'received', reason: '', count: everyone - rejected.length },
    ]);
    const failed = await reconcileList(env.db, runId, { set: 'failed' }, { limit: 100 }, Date.now());
    expect(failed.items.map((r) => r.email).sort()).toEqual([...rejected].sort());
    const log = await runLogFor(env.db, admin, runId, DeliveryLogFilter.parse({ class: 'rejected' }), LogPage.parse({}));
    expect(log.items.map((a) => a.email).sort()).toEqual([...rejected].sort());

    // Only who may start runs of the flow: an agent who does not own it does not even see the run.
    await expect(sendToSet(env.db, env.client, env.config, { id: 'agent-x', role: 'agent' }, runId, { set: 'failed' })).rejects.toMatchObject({
      status: 404,
    });

    fixed = true;
    const relay = await insertSmtpProfile(env.db, profileInput({ name: 'Relay', port: env.smtp.port }), { passwordEnc: '', ownerId: null });
    const before = env.received.length;
    const resend = await sendToSet(env.db, env.client, env.config, admin, runId, { set: 'failed', profileId: relay, idempotencyKey: 'k1' });
    expect(resend).toMatchObject({ recipients: rejected.length, created: true });
    // The same key again is the same run, started once.
    expect(await sendToSet(env.db, env.client, env.config, admin, runId, { set: 'failed', profileId: relay, idempotencyKey: 'k1' })).toMatchObject({
      runId: resend.runId,
      created: false,
    });
    expect(await env.client.workflow.getHandle(campaignWorkflowId(resend.runId)).result()).toMatchObject({ status: 'completed', failed: 0 });

    const resent = env.received.slice(before);
    expect(resent.map((m) => m.to).sort()).toEqual([...rejected].sort());
    const second = await getRun(env.db, resend.runId);
    expect(second).toMatchObject({
      sourceRunId: runId,
      flowId: 'resend-failed',
      audience: { kind: 'resend', set: 'failed', count: rejected.length },
    });
    expect(Object.values((await runPlan(env.db, resend.runId))?.steps ?? {}).flatMap((s) => (s.type === 'sendEmail' ? [s.profileId] : []))).toEqual([
      relay,
    ]);
    expect((await runsResending(env.db, runId)).map((r) => r.id)).toEqual([resend.runId]);
    expect(await reconcileCounts(env.db, resend.runId, Date.now())).toEqual([{ set: 'received', reason: '', count: rejected.length }]);
    // The first run's reconciliation is its own: its failed stay failed.
    expect(await reconcileCounts(env.db, runId, Date.now())).toEqual(counts);
  });
});
