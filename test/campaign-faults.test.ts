/**
 * Campaigns against a sandbox that misbehaves like real servers do (SANDBOX_FAULTS), on a real
 * Temporal server: everyone gets their message, nobody gets two unless the log says "uncertain",
 * and a server's throttle is learned instead of hammered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { recipientCounts } from '../server/db/recipients';
import { listRunAttempts } from '../server/db/runs';
import { getSmtpProfile } from '../server/db/smtp-profiles';
import { throttleState } from '../server/db/throttle';
import type { CampaignResult } from '../workflows/campaign';
import { campaignEnv, type CampaignEnv } from './campaign-env';
import { graphWithDelay } from './helpers';

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
    const { twice, uncertain } = await deliveredOnce(env, runId, 200);
    // Each dropped message reached the server and was sent again: the receiver sees the same Message-ID twice.
    expect(twice).toHaveLength(dropped);
    expect(uncertain.size).toBeGreaterThanOrEqual(dropped);
    for (const to of twice) {
      const ids = new Set(env.received.filter((m) => m.to === to).map((m) => m.messageId));
      expect(ids.size).toBe(1);
    }
  });
});
