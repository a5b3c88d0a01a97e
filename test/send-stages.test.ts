/**
 * Outcomes named by the SMTP stage where they happened, against real SMTP servers through the real
 * sending thread and pool: only a connection lost after the message's data, before its reply, is
 * "outcome unknown"; a TLS certificate failure is the profile's configuration (it pauses), never a
 * send that may have gone out; a connection lost before the data is a plain retry.
 */
import net from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredSmtpProfile } from '../server/db/smtp-profiles';
import { DEFAULT_RETRY_FOR_MS, decide } from '../server/sending/policy';
import { classifySmtpError } from '../server/smtp/classify';
import { threadedTransports } from '../server/smtp/send-thread';
import { localSmtpPolicy, poolProfile } from './helpers';
import { selfSignedCertificate } from './smtp-clients';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A real smtp-server on a free port; `drop(session)` destroys that session's connection without a reply. */
async function server(options: (drop: (session: SMTPServerSession) => void) => SMTPServerOptions): Promise<number> {
  const sockets = new Map<number, net.Socket>();
  const drop = (session: SMTPServerSession) => sockets.get(session.remotePort)?.destroy();
  const smtp = new SMTPServer({ authOptional: true, disableReverseLookup: true, logger: false, ...options(drop) });
  smtp.server.on('connection', (socket: net.Socket) => sockets.set(socket.remotePort ?? 0, socket));
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
  return (smtp.server.address() as net.AddressInfo).port;
}

const profile = (port: number, fields: Partial<StoredSmtpProfile> = {}) => poolProfile({ port, ...fields });

/** Sends one message through a fresh pool (the sending thread) and classifies the error it fails with. */
async function failureOf(p: StoredSmtpProfile, to = 'ann@example.test') {
  const pool = threadedTransports(() => '', localSmtpPolicy);
  cleanups.push(() => pool.close());
  const err = await pool
    .get(p)
    .sendMail({ from: 'a@example.test', to, subject: 'Hi', text: 'Hello', messageId: '<m1@example.test>' })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeDefined();
  return classifySmtpError(err);
}

const now = Date.now();
const decided = (outcome: Awaited<ReturnType<typeof failureOf>>, uncertainPolicy: 'resend' | 'hold' = 'resend') =>
  decide(
    { accepted: false, ...outcome },
    { failures: 0, throttled: 0, firstTriedAt: now, now, random: 0 },
    { uncertainPolicy, retryForMs: DEFAULT_RETRY_FOR_MS },
  );

describe('outcomes by SMTP stage, through the sending thread', () => {
  it('a STARTTLS certificate the client cannot trust is configuration at STARTTLS: the profile pauses, nothing is uncertain', async () => {
    const { key, cert } = selfSignedCertificate();
    let mailFrom = 0;
    const port = await server(() => ({
      key,
      cert,
      onMailFrom(_address, _session, callback) {
        mailFrom++;
        callback();
      },
    }));
    for (const requireTls of [false, true]) {
      const outcome = await failureOf(profile(port, { requireTls, id: `tls-${requireTls}` }));
      expect(outcome).toMatchObject({ kind: 'configuration', stage: 'STARTTLS', unknown: false, code: null });
      expect(outcome.reply).toMatch(/self-signed certificate/);
      expect(decided(outcome, 'hold')).toMatchObject({ kind: 'pause profile' });
    }
    expect(mailFrom).toBe(0);
  });

  it('a connection dropped at MAIL FROM is a retry: nothing was sent, even when the profile holds unknown outcomes', async () => {
    const port = await server((drop) => ({
      disabledCommands: ['STARTTLS'],
      onMailFrom(_address, session) {
        drop(session);
      },
    }));
    const outcome = await failureOf(profile(port));
    expect(outcome).toMatchObject({ kind: 'transient', stage: 'session', unknown: false, code: null });
    expect(decided(outcome, 'hold')).toMatchObject({ kind: 'retry', uncertain: false });
  });

  it('a connection dropped after the whole message, before its reply, is "outcome unknown" at the end of data', async () => {
    let kept = 0;
    const port = await server((drop) => ({
      disabledCommands: ['STARTTLS'],
      onData(stream, session) {
        stream.resume();
        stream.on('end', () => {
          kept++;
          drop(session);
        });
      },
    }));
    const outcome = await failureOf(profile(port));
    expect(kept).toBe(1);
    expect(outcome).toMatchObject({ kind: 'transient', stage: 'end of data', unknown: true, code: null });
    expect(decided(outcome)).toMatchObject({ kind: 'retry', uncertain: true });
    expect(decided(outcome, 'hold')).toMatchObject({ kind: 'hold' });
  });

  it('a 554 to the end of data is a permanent failure there; a 550 to RCPT is one at RCPT', async () => {
    const port = await server(() => ({
      disabledCommands: ['STARTTLS'],
      onRcptTo(address, _session, callback) {
        if (address.address === 'gone@example.test') return callback(Object.assign(new Error('5.1.1 User unknown'), { responseCode: 550 }));
        callback();
      },
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => callback(Object.assign(new Error('5.7.1 Rejected as spam'), { responseCode: 554 })));
      },
    }));
    expect(await failureOf(profile(port))).toMatchObject({ kind: 'permanent', stage: 'end of data', code: 554, unknown: false, badMailbox: false });
    const gone = await failureOf(profile(port), 'gone@example.test');
    expect(gone).toMatchObject({ kind: 'permanent', stage: 'RCPT', code: 550, badMailbox: true });
    expect(decided(gone)).toMatchObject({ kind: 'suppress', code: 550 });
  });

  it('a refused connection is a retry at connect', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const outcome = await failureOf(profile(port));
    expect(outcome).toMatchObject({ kind: 'transient', stage: 'connect', unknown: false });
    expect(decided(outcome, 'hold')).toMatchObject({ kind: 'retry', uncertain: false });
  });
});
