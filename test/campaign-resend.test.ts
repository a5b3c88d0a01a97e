/**
 * "Send to these" on a real Temporal server and real SMTP servers: a campaign whose server rejects some
 * recipients at RCPT and drops the connection after DATA for others (held as uncertain), its
 * reconciliation naming exactly them, then a new run for the failed and the uncertain, linked to the
 * first and sent with another profile (another server), that reaches exactly them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSmtpProfile, updateSmtpProfile } from '../server/db/smtp-profiles';
import { reconcileCounts, reconcileList } from '../server/db/reconciliation';
import { getRun, listRunRecipients, runPlan, runsResending } from '../server/db/runs';
import { runLogFor } from '../server/runs/log';
import { sendToSet } from '../server/runs/resend';
import { campaignWorkflowId } from '../workflows/contracts';
import { DeliveryLogFilter, LogPage } from '../domain/delivery-log';
import { admin, campaignEnv, type CampaignEnv } from './campaign-env';
import { graphWithDelay, localSmtpServer, profileInput } from './helpers';

let env: CampaignEnv;
beforeAll(async () => {
  env = await campaignEnv({ contacts: 40, taskQueue: 'campaign-resend', inProcessWorker: true, faults: 'drop-after-data=10%' });
  // A send whose outcome is unknown is held for a person, so it stays uncertain.
  await updateSmtpProfile(env.db, 'sandbox', profileInput({ name: 'Sandbox', port: env.smtp.port, uncertainPolicy: 'hold' }), '');
  relay = await localSmtpServer({
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        relayed.push(...session.envelope.rcptTo.map((r) => r.address));
        callback();
      });
    },
  });
});
afterAll(async () => {
  await env?.close();
  await relay?.close();
});

let relay: Awaited<ReturnType<typeof localSmtpServer>> | undefined;
/** The recipients the other server (the "fixed" profile's) accepted. */
const relayed: string[] = [];

describe('send to these', () => {
  it('resends to exactly the recipients the server rejected or may not have, as a linked run with another profile', async () => {
    const rejected = ['person3@example.test', 'person11@example.test', 'person12@example.test', 'person30@example.test'];
    // The server refuses them (a policy rejection: not a bad mailbox, so they stay mailable).
    for (const to of rejected) env.answers.set(to, () => ({ code: 554, text: '5.7.1 Message rejected by policy' }));
    const { runId, handle } = await env.run('resend-failed', graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' }));
    expect(await handle.result()).toMatchObject({ status: 'completed', failed: rejected.length });
    // The server got everyone else's message; for some it dropped the connection before answering.
    const everyone = env.received.length + rejected.length;
    const held = (await listRunRecipients(env.db, runId, { offset: 0, limit: 500, status: 'held' })).items.map((r) => r.email);
    expect(held.length).toBe(env.smtp.stats().dropped);
    expect(held.length).toBeGreaterThan(0);

    const counts = await reconcileCounts(env.db, runId, Date.now());
    expect(counts).toEqual([
      { set: 'failed', reason: 'rejected', count: rejected.length },
      { set: 'received', reason: '', count: everyone - rejected.length - held.length },
      { set: 'uncertain', reason: '', count: held.length },
    ]);
    const failed = await reconcileList(env.db, runId, { set: 'failed' }, { limit: 100 }, Date.now());
    expect(failed.items.map((r) => r.email).sort()).toEqual([...rejected].sort());
    const uncertain = await reconcileList(env.db, runId, { set: 'uncertain' }, { limit: 100 }, Date.now());
    expect(uncertain.items.map((r) => r.email).sort()).toEqual([...held].sort());
    const log = await runLogFor(env.db, admin, runId, DeliveryLogFilter.parse({ class: 'rejected' }), LogPage.parse({}));
    expect(log.items.map((a) => a.email).sort()).toEqual([...rejected].sort());

    // Only who may start runs of the flow: an agent who does not own it does not even see the run.
    await expect(sendToSet(env.db, env.client, env.config, { id: 'agent-x', role: 'agent' }, runId, { set: 'failed' })).rejects.toMatchObject({
      status: 404,
    });

    // The "fixed" profile: another server.
    const other = await insertSmtpProfile(env.db, profileInput({ name: 'Relay', port: relay!.port }), { passwordEnc: '', ownerId: null });
    const request = { set: ['failed', 'uncertain'] as const, profileId: other, idempotencyKey: 'k1' };
    const resend = await sendToSet(env.db, env.client, env.config, admin, runId, { ...request, set: [...request.set] });
    const targets = [...rejected, ...held].sort();
    expect(resend).toMatchObject({ recipients: targets.length, created: true });
    // The same key again is the same run, started once.
    expect(await sendToSet(env.db, env.client, env.config, admin, runId, { ...request, set: [...request.set] })).toMatchObject({
      runId: resend.runId,
      recipients: targets.length,
      created: false,
    });
    expect(await env.client.workflow.getHandle(campaignWorkflowId(resend.runId)).result()).toMatchObject({ status: 'completed', failed: 0 });
    expect([...relayed].sort()).toEqual(targets);

    const second = await getRun(env.db, resend.runId);
    expect(second).toMatchObject({
      sourceRunId: runId,
      flowId: 'resend-failed',
      version: 1,
      audience: { kind: 'resend', sets: ['failed', 'uncertain'], count: targets.length },
    });
    expect(Object.values((await runPlan(env.db, resend.runId))?.steps ?? {}).flatMap((s) => (s.type === 'sendEmail' ? [s.profileId] : []))).toEqual([
      other,
    ]);
    expect((await runsResending(env.db, runId)).map((r) => r.id)).toEqual([resend.runId]);
    expect(await reconcileCounts(env.db, resend.runId, Date.now())).toEqual([{ set: 'received', reason: '', count: targets.length }]);
    // The first run's reconciliation is its own: its failed stay failed, its uncertain uncertain.
    expect(await reconcileCounts(env.db, runId, Date.now())).toEqual(counts);
  });
});
