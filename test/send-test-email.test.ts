/**
 * "Send test email" through the single-message sender on the profile's pooled transport (the sending
 * thread), like every other send: test emails in a row share one connection; each is logged with the
 * server's reply; a refusal comes back with the fix and is logged failed; a paused profile sends nothing.
 */
import type net from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKeyring } from '../server/crypto';
import type { Db } from '../server/db';
import { markProfileFailing, updateSmtpProfile } from '../server/db/smtp-profiles';
import { sendTestEmail, testEmailsFor } from '../server/test-email';
import { installUsers, localSmtpPolicy, profileInput, tempInstall } from './helpers';

let server: SMTPServer;
let db: Db;
let admin: Awaited<ReturnType<typeof installUsers<'admin'>>>['users']['admin'];
let connections = 0;
const received: string[] = [];
const keyring = makeKeyring(Buffer.alloc(32, 5));
const secret = Buffer.alloc(32, 6);

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    // The test emails' pooled connection stays open: close it at once instead of after 30 s.
    closeTimeout: 200,
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onRcptTo(address, _session, callback) {
      if (address.address === 'gone@example.test') return callback(Object.assign(new Error('5.1.1 User unknown'), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        received.push(session.envelope.rcptTo.map((r) => r.address).join(','));
        callback(null, `queued as ${received.length}`);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const install = await tempInstall();
  db = install.db;
  ({ admin } = (await installUsers(install, [['admin', 'admin']] as const)).users);
  const port = (server.server.address() as net.AddressInfo).port;
  await updateSmtpProfile(db, 'sandbox', profileInput({ name: 'Sandbox', port, fromEmail: 'news@acme.test', ratePerSecond: 20 }), '');
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await db?.destroy();
});

describe('Send test email', () => {
  it('sends through the pooled transport: three in a row over one connection, each logged with the reply', async () => {
    for (const to of ['ann@example.test', 'bob@example.test', 'cy@example.test']) {
      const result = await sendTestEmail(db, keyring, localSmtpPolicy, secret, admin, 'sandbox', to);
      expect(result).toEqual({ ok: true, message: expect.stringMatching(new RegExp(`^Sent to ${to}: the server replied "250 queued as \\d+"\\.$`)) });
    }
    expect(received).toEqual(['ann@example.test', 'bob@example.test', 'cy@example.test']);
    expect(connections).toBe(1);
  });

  it('answers a refusal with the fix, and logs it failed with the reply', async () => {
    const result = await sendTestEmail(db, keyring, localSmtpPolicy, secret, admin, 'sandbox', 'gone@example.test');
    expect(result).toMatchObject({ ok: false, failure: 'refused', message: expect.stringMatching(/refused .*\(the server answered 550\) to RCPT/) });
    const latest = (await testEmailsFor(db, admin, 'sandbox'))[0];
    expect(latest).toMatchObject({ recipient: 'gone@example.test', outcome: 'failed', smtpCode: 550 });
  });

  it('sends nothing while the profile is paused, and says why', async () => {
    await markProfileFailing(db, 'sandbox', '535 5.7.8 bad login. Check User and Password.');
    const before = received.length;
    const result = await sendTestEmail(db, keyring, localSmtpPolicy, secret, admin, 'sandbox', 'ann@example.test');
    expect(result).toEqual({ ok: false, message: 'Sending with "Sandbox" is paused: 535 5.7.8 bad login. Check User and Password.' });
    expect(received).toHaveLength(before);
  });
});
