/**
 * A campaign whose SMTP server offers STARTTLS with a certificate the client cannot trust (a fresh
 * Postfix's self-signed one): the profile pauses with the fix, its sends wait (not failed, not logged
 * uncertain, not retried in a loop: the server's connections are counted), and once an admin pins the
 * certificate's fingerprint and saves the profile, the campaign wakes and sends everyone once.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipientCounts } from '../server/db/recipients';
import { listRunAttempts } from '../server/db/runs';
import { getSmtpProfile, updateSmtpProfile } from '../server/db/smtp-profiles';
import { wakeRunsUsing } from '../server/runs/control';
import { campaignEnv, type CampaignEnv, until } from './campaign-env';
import { graphWithDelay, profileInput, sleep } from './helpers';
import { type Certificates, makeCertificates, type Relay, startRelay } from './tls-relay';

let env: CampaignEnv;
let certificates: Certificates;
let relay: Relay;

beforeAll(async () => {
  certificates = makeCertificates();
  relay = await startRelay(certificates, 'self');
  env = await campaignEnv({ contacts: 7, taskQueue: 'campaign-tls-pause', inProcessWorker: true });
});

afterAll(async () => {
  await relay?.close();
  await env?.close();
  if (certificates) fs.rmSync(certificates.dir, { recursive: true, force: true });
});

describe('a campaign whose server’s TLS certificate is not trusted', () => {
  it('pauses the profile with the fix, sends nothing meanwhile, and sends everyone once after the fingerprint is pinned', async () => {
    const relayProfile = (trust: { tlsPin?: string } = {}) =>
      profileInput({ name: 'Internal relay', port: relay.port, maxConnections: 2, requireTls: true, ...trust });
    await updateSmtpProfile(env.db, 'sandbox', relayProfile(), '');
    const { runId, handle } = await env.run('tls', graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' }));

    await until('the profile to pause', async () => Boolean((await getSmtpProfile(env.db, 'sandbox'))?.failingSince));
    const paused = await getSmtpProfile(env.db, 'sandbox');
    // Test connection's advice: why, the certificate presented, and what an admin can do.
    expect(paused?.failingReason).toMatch(/TLS certificate is self-signed/);
    expect(paused?.failingReason).toContain(`SHA-256 fingerprint ${certificates.selfFingerprint}`);
    expect(paused?.failingReason).toMatch(/an admin can pin this fingerprint/);

    // Two seconds later still: the sends wait. They are not retried in a loop (the server saw a handful
    // of connections, not one per attempt per moment), failed, or called uncertain.
    // (The sends already on the wire when the first was refused end within a moment.)
    await sleep(1000);
    const connectionsAtPause = relay.connections;
    await sleep(2000);
    expect(relay.connections).toBe(connectionsAtPause);
    // Each send the gate had let through (two per connection) met the refusal once, and one more
    // connection read the certificate for the advice.
    expect(relay.connections).toBeLessThanOrEqual(5);
    const attempts = (await listRunAttempts(env.db, runId, { offset: 0, limit: 1000 })).items;
    expect(attempts.length).toBeGreaterThan(0);
    // At most one a place at the gate (two per connection): the sends behind them stop where they are.
    expect(attempts.length).toBeLessThanOrEqual(4);
    for (const a of attempts) expect(a).toMatchObject({ outcome: 'retrying', smtpCode: null });
    expect(await recipientCounts(env.db, runId, Date.now())).toMatchObject({ failed: 0, completed: 0 });
    expect(relay.recipients).toEqual([]);

    // An admin pins the certificate's fingerprint and saves: the campaign is woken, and sends.
    await updateSmtpProfile(env.db, 'sandbox', relayProfile({ tlsPin: certificates.selfFingerprint }), '');
    expect(await wakeRunsUsing(env.db, env.client, 'sandbox')).toBe(1);
    expect((await handle.result()).status).toBe('completed');
    expect((await recipientCounts(env.db, runId, Date.now())).completed).toBe(10);
    // Everyone once: the 7 contacts and the 3 the graph's audience adds, no one twice.
    expect(relay.recipients).toHaveLength(10);
    expect(new Set(relay.recipients).size).toBe(10);
    expect(env.received).toEqual([]);
    // Nothing was sent before the pause, so nothing is resent as "outcome unknown" after it; attempts count up.
    const after = (await listRunAttempts(env.db, runId, { offset: 0, limit: 1000 })).items;
    expect(after.filter((a) => a.outcome === 'uncertain')).toEqual([]);
    expect(after.filter((a) => a.outcome === 'sent')).toHaveLength(10);
  });
});
