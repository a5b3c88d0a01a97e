/**
 * Campaigns against a sandbox that misbehaves like real servers do (SANDBOX_FAULTS), on a real
 * Temporal server: everyone gets their message, nobody gets two unless the log says "uncertain",
 * and a server's throttle is learned instead of hammered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { recipientCounts } from '../server/db/recipients';
import { getRun, listRunAttempts, listRunRecipients } from '../server/db/runs';
import { updateSmtpProfile } from '../server/db/smtp-profiles';
import { resendHeld, wakeRunsUsing } from '../server/runs/control';
import { resumeProfile } from '../server/profiles';
import { FAULT_REPLIES } from '../server/sandbox-faults';
import { getSmtpProfile } from '../server/db/smtp-profiles';
import { throttleState } from '../server/db/throttle';
import type { CampaignResult } from '../workflows/contracts';
import { admin, campaignEnv, type CampaignEnv, until } from './campaign-env';
import { graphWithDelay, profileInput, sleep } from './helpers';

let env: CampaignEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const immediate = graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' });

/** Every recipient got at least one message; the ones that got two are exactly among those logged uncertain. */
async function deliveredOnce(e: CampaignEnv, runId: string, recipients: number) {
  const perRecipient = new Map<string, number>();
  for (const m of e.received) perRecipient.set(m.to, (perRecipient.get(m.to) ?? 0) + 1);
  expect(perRecipient.size).toBe(recipients);
  const attempts = (await listRunAttempts(e.db, runId, { offset: 0, limit: 100_000 })).items;
  const uncertain = new Set(attempts.filter((a) => a.outcome === 'uncertain').map((a) => a.email));
  const twice = [...perRecipient].filter(([, n]) => n > 1).map(([to]) => to);
  for (const to of twice) expect(uncertain).toContain(to);
  expect((await recipientCounts(e.db, runId, Date.now())).completed).toBe(recipients);
  return { attempts, twice, uncertain };
}

describe('a campaign against a misbehaving server', () => {
  it('learns a throttle it was not told about (20/s), with few throttle replies, and delivers everyone once', async () => {
    env = await campaignEnv({ contacts: 397, taskQueue: 'faults-throttle', inProcessWorker: true, faults: 'throttle=20/s' });
    const { runId, handle } = await env.run('throttled', immediate);
    const result: CampaignResult = await handle.result();
    expect(result.status).toBe('completed');
    const { attempts, twice } = await deliveredOnce(env, runId, 400);
    expect(twice).toEqual([]);
    const throttled = attempts.filter((a) => a.smtpCode === 454).length;
    // The first burst meets the throttle; after that the pace holds under it.
    expect(throttled).toBeLessThan(400 * 0.1);
    expect(env.smtp.stats().throttled).toBe(throttled);
    const profile = await getSmtpProfile(env.db, 'sandbox');
    const pace = await throttleState(env.db, profile!);
    expect(pace.lastSlowdown?.reply).toMatch(/Maximum sending rate exceeded/);
    expect(pace.effectiveRate).toBeGreaterThan(5);
    expect(pace.effectiveRate).toBeLessThanOrEqual(25);
  });

  it('delivers through greylisting, 421 disconnects and 454 to AUTH', async () => {
    env = await campaignEnv({ contacts: 197, taskQueue: 'faults-transient', inProcessWorker: true, faults: 'greylist=1,disconnect421=5%,auth454=2' });
    const { runId, handle } = await env.run('transient', immediate);
    expect((await handle.result()).status).toBe('completed');
    const { twice } = await deliveredOnce(env, runId, 200);
    expect(twice).toEqual([]);
    expect(env.smtp.stats().greylisted).toBeGreaterThanOrEqual(200);
    expect((await getSmtpProfile(env.db, 'sandbox'))?.failingSince).toBeNull();
  });

  it('fails rejected recipients for good, and delivers the rest once', async () => {
    env = await campaignEnv({ contacts: 197, taskQueue: 'faults-reject', inProcessWorker: true, faults: 'reject=10%' });
    // About 10% hard bounces would trip the reputation guard (its own test is below): off here.
    await updateSmtpProfile(env.db, 'sandbox', profileInput({ name: 'Sandbox', port: env.smtp.port, maxConnections: 5, guardBouncePercent: 0 }), '');
    const { runId, handle } = await env.run('rejected', immediate);
    const result: CampaignResult = await handle.result();
    const rejected = env.smtp.stats().rejected;
    expect(rejected).toBeGreaterThan(0);
    expect(result.failed).toBe(rejected);
    const counts = await recipientCounts(env.db, runId, Date.now());
    expect(counts.failed).toBe(rejected);
    expect(counts.completed).toBe(200 - rejected);
    expect(new Set(env.received.map((m) => m.to)).size).toBe(200 - rejected);
    expect(env.received).toHaveLength(200 - rejected);
  });

  it('resends a message whose connection dropped after DATA with the same Message-ID, and says it was uncertain', async () => {
    env = await campaignEnv({ contacts: 197, taskQueue: 'faults-drop', inProcessWorker: true, faults: 'drop-after-data=5%' });
    const { runId, handle } = await env.run('dropped', immediate);
    expect((await handle.result()).status).toBe('completed');
    const dropped = env.smtp.stats().dropped;
    expect(dropped).toBeGreaterThan(0);
    const { twice, attempts } = await deliveredOnce(env, runId, 200);
    // Each dropped message reached the server and was sent again: the receiver sees the same Message-ID
    // once more per drop (a resend can be dropped too: drops are every 20th message the server stores).
    const copies = env.received.filter((m) => twice.includes(m.to)).length;
    expect(copies - twice.length).toBe(dropped);
    expect(attempts.filter((a) => a.outcome === 'uncertain').length).toBeGreaterThanOrEqual(dropped);
    for (const to of twice) {
      const ids = new Set(env.received.filter((m) => m.to === to).map((m) => m.messageId));
      expect(ids.size).toBe(1);
    }
  });

  it('holds a dropped-after-DATA message for review when the profile says so, and resends it when a person asks', async () => {
    const e = await campaignEnv({ contacts: 197, taskQueue: 'faults-hold', inProcessWorker: true, faults: 'drop-after-data=5%' });
    env = e;
    await updateSmtpProfile(
      env.db,
      'sandbox',
      profileInput({ name: 'Sandbox', port: env.smtp.port, maxConnections: 5, uncertainPolicy: 'hold' }),
      '',
    );
    const { runId, handle } = await env.run('held', immediate);
    expect((await handle.result()).status).toBe('completed');
    const dropped = env.smtp.stats().dropped;
    expect(dropped).toBeGreaterThan(0);
    const counts = await recipientCounts(env.db, runId, Date.now());
    expect(counts).toMatchObject({ held: dropped, completed: 200 - dropped });
    // Nothing was resent: each message reached the server once.
    expect(env.received).toHaveLength(200);
    const held = (await listRunRecipients(env.db, runId, { offset: 0, limit: 500, status: 'held' })).items;
    expect(held).toHaveLength(dropped);

    // A person resends them: the finished run's campaign starts again for them alone.
    expect(await resendHeld(env.db, env.client, env.config, runId)).toEqual({ resent: dropped });
    await until(
      'the held messages resent and the run completed again',
      async () => (await getRun(e.db, runId))?.status === 'completed' && (await recipientCounts(e.db, runId, Date.now())).completed === 200,
    );
    expect(env.received).toHaveLength(200 + dropped);
    for (const r of held) {
      const copies = env.received.filter((m) => m.to === r.email);
      expect(copies).toHaveLength(2);
      expect(new Set(copies.map((m) => m.messageId)).size).toBe(1);
    }
    await expect(resendHeld(env.db, env.client, env.config, runId)).rejects.toMatchObject({ status: 409 });
  });

  it('pauses the profile when the server blocks the sender (550 5.7.1), holds the rest, and sends them once after an admin resumes it', async () => {
    const e = await campaignEnv({ contacts: 117, taskQueue: 'faults-guard', inProcessWorker: true, faults: 'block550=25' });
    env = e;
    const { runId, handle } = await e.run('blocked', immediate);
    await until('the reputation guard to pause the profile', async () => (await getSmtpProfile(e.db, 'sandbox'))?.failingCause === 'guard');
    const paused = await getSmtpProfile(e.db, 'sandbox');
    // Why, with the replies that tripped it.
    expect(paused?.failingReason).toMatch(/^The reputation guard paused sending: \d+ of the last \d+ attempts were policy blocks \(5\.7\.x\)/);
    expect(paused?.failingReason).toContain(`"550 ${FAULT_REPLIES.blocked.text}" ×`);
    // The batch lets go of what it had not sent: the rest wait, none failed but the blocked ones.
    await until('the batch to stop', async () => (await recipientCounts(e.db, runId, Date.now())).sending === 0);
    const atPause = await recipientCounts(e.db, runId, Date.now());
    const blocked = e.smtp.stats().blocked;
    expect(atPause.failed).toBe(blocked);
    expect(atPause).toMatchObject({ retrying: 0, held: 0 });
    // Those sent before the pause went on to the next step; the others were never sent, and wait.
    const unsent = 120 - blocked - e.received.length;
    expect(unsent).toBeGreaterThan(0);
    expect(atPause.due + atPause.waiting + atPause.completed).toBe(120 - blocked);
    // And they stay so: the campaign waits for an admin, it does not retry them in a loop.
    const sentAtPause = e.received.length;
    await sleep(1500);
    expect(await recipientCounts(e.db, runId, Date.now())).toEqual(atPause);
    expect(e.received).toHaveLength(sentAtPause);
    expect(e.smtp.stats().blocked).toBe(blocked);

    // An admin resumes sending: the campaign is woken and sends the rest, once each.
    await resumeProfile(e.db, admin, 'sandbox');
    expect(await getSmtpProfile(e.db, 'sandbox')).toMatchObject({ failingSince: null, failingCause: null, resumedBy: admin.id });
    expect(await wakeRunsUsing(e.db, e.client, 'sandbox')).toBe(1);
    expect((await handle.result()).status).toBe('completed');
    const counts = await recipientCounts(e.db, runId, Date.now());
    const failed = e.smtp.stats().blocked;
    expect(counts).toMatchObject({ failed, completed: 120 - failed });
    expect(e.received).toHaveLength(120 - failed);
    expect(new Set(e.received.map((m) => m.to)).size).toBe(120 - failed);
  });
});
