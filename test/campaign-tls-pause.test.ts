/**
 * A campaign whose SMTP server offers STARTTLS with a certificate the client cannot trust (a fresh
 * Postfix's self-signed one): the profile pauses with the fix, its sends wait (not failed, not logged
 * uncertain, not retried in a loop), and once the profile is saved again the campaign sends everyone once.
 */
import type net from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipientCounts } from '../server/db/recipients';
import { listRunAttempts } from '../server/db/runs';
import { getSmtpProfile, updateSmtpProfile } from '../server/db/smtp-profiles';
import { campaignEnv, type CampaignEnv } from './campaign-env';
import { graphWithDelay, profileInput } from './helpers';
import { selfSignedCertificate } from './smtp-clients';

let env: CampaignEnv;
let tls: SMTPServer;
let mailFrom = 0;

beforeAll(async () => {
  env = await campaignEnv({ contacts: 7, taskQueue: 'campaign-tls-pause', inProcessWorker: true });
  tls = new SMTPServer({
    ...selfSignedCertificate(),
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    onMailFrom(_address, _session, callback) {
      mailFrom++;
      callback();
    },
  });
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => tls?.close(() => resolve()));
  await env?.close();
});

describe('a campaign whose server’s TLS certificate is not trusted', () => {
  it('pauses the profile with the fix, sends nothing meanwhile, and sends everyone once it is fixed', async () => {
    const tlsPort = (tls.server.address() as net.AddressInfo).port;
    await updateSmtpProfile(env.db, 'sandbox', profileInput({ name: 'Sandbox', port: tlsPort, maxConnections: 2 }), '');
    const { runId, handle } = await env.run('tls', graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' }));

    let paused = await getSmtpProfile(env.db, 'sandbox');
    for (let i = 0; !paused?.failingSince; i++) {
      if (i > 600) throw new Error('the profile was not paused within a minute');
      await new Promise((r) => setTimeout(r, 100));
      paused = await getSmtpProfile(env.db, 'sandbox');
    }
    expect(paused?.failingReason).toMatch(/self-signed certificate/);
    expect(paused?.failingReason).toMatch(/not signed by a trusted authority/);
    // A moment later still: the sends wait, they are not retried in a loop, failed, or called uncertain.
    await new Promise((r) => setTimeout(r, 1000));
    const attempts = (await listRunAttempts(env.db, runId, { offset: 0, limit: 1000 })).items;
    expect(attempts.length).toBeGreaterThan(0);
    // At most one a place at the gate (two per connection): the sends behind them stop where they are.
    expect(attempts.length).toBeLessThanOrEqual(4);
    for (const a of attempts) expect(a).toMatchObject({ outcome: 'retrying', smtpCode: null });
    expect(await recipientCounts(env.db, runId, Date.now())).toMatchObject({ failed: 0, completed: 0 });
    expect(mailFrom).toBe(0);

    // Fixed (here: pointed at a server it can trust) and saved: sending resumes where it stopped.
    await updateSmtpProfile(env.db, 'sandbox', profileInput({ name: 'Sandbox', port: env.smtp.port, maxConnections: 2 }), '');
    expect((await handle.result()).status).toBe('completed');
    expect((await recipientCounts(env.db, runId, Date.now())).completed).toBe(10);
    expect(new Set(env.received.map((m) => m.to)).size).toBe(10);
    expect(env.received).toHaveLength(10);
    // Nothing was sent before the pause, so nothing is resent as "outcome unknown" after it.
    const after = (await listRunAttempts(env.db, runId, { offset: 0, limit: 1000 })).items;
    expect(after.filter((a) => a.outcome === 'uncertain')).toEqual([]);
  });
});
