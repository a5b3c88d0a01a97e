/**
 * sendEmail against real SMTP servers that misbehave the way providers do:
 * 454 throttling (retry later, slower), 550 (permanent), and a retried activity after success (no duplicate);
 * on SQLite and on PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import type { SMTPServer } from 'smtp-server';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimSend, getSend } from '../server/db/deliveries';
import { setFrequencyCap } from '../server/db/frequency-cap';
import { getSmtpProfile, insertSmtpProfile, updateSmtpProfile } from '../server/db/smtp-profiles';
import type { Db } from '../server/db';
import { decryptSecret, encryptSecret, makeKeyring } from '../server/crypto';
import { createSendEmail, type SendEmailInput, type SendEmailResult } from '../activities/send-email';
import { threadedTransports } from '../server/smtp/send-thread';
import { databases, tempInstallOn } from './databases';
import { attemptsOf, graphWithDelay, localSmtpPolicy, localSmtpServer, profileInput, publishForTest } from './helpers';

/** Answers DATA with the scripted replies in order, then 250; counts what it accepted. AUTH answers from `auth`, in order, then accepts. */
async function scriptedServer(replies: { code: number; text: string }[], auth: { code: number; text: string }[] = []) {
  const accepted: string[] = [];
  const { server, port } = await localSmtpServer({
    allowInsecureAuth: true,
    onAuth(login, _session, callback) {
      const next = auth.shift();
      if (next) return callback(Object.assign(new Error(next.text), { responseCode: next.code }));
      callback(null, { user: login.username });
    },
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        const next = replies.shift();
        if (next) return callback(Object.assign(new Error(next.text), { responseCode: next.code }));
        accepted.push(session.envelope.rcptTo.map((r) => r.address).join(','));
        callback(null, `OK id=${accepted.length}`);
      });
    },
  });
  return { server, accepted, port };
}

let db: Db;
// Stored passwords in these tests decrypt to 'secret'.
const transports = threadedTransports(() => 'secret', localSmtpPolicy);
const servers: SMTPServer[] = [];

afterAll(() => {
  transports.close();
  for (const s of servers) s.close();
});

describe.each(databases)('on %s', (dialect) => {
  beforeAll(async () => {
    ({ db } = await tempInstallOn(dialect));
  });
  afterAll(async () => db?.destroy());

  async function setup(name: string, replies: { code: number; text: string }[], auth?: { code: number; text: string }[]) {
    const smtp = await scriptedServer(replies, auth);
    servers.push(smtp.server);
    const login = auth ? { username: 'mailer' } : {};
    await insertSmtpProfile(db, profileInput({ name, port: smtp.port, fromEmail: 'news@acme.test', fromName: 'Acme', maxConnections: 1, ...login }), {
      id: name,
      passwordEnc: auth ? 'stored' : '',
      ownerId: null,
    });
    await publishForTest(db, `flow-${name}`, graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' }, name));
    const input: SendEmailInput = {
      runId: `run-${name}`,
      nodeId: 'send',
      contactId: 'ct_grace',
      profileId: name,
      subject: 'Hi',
      text: 'Hello',
      workflowId: `wf-${name}`,
    };
    const send = (attempt: number): Promise<SendEmailResult> =>
      new MockActivityEnvironment({ attempt }).run(createSendEmail({ db, transports, messageIdSecret: Buffer.alloc(32, 2) }), input);
    return { smtp, input, send };
  }

  describe('sendEmail', () => {
    it('treats 454 throttling as retry-later, then sends once and never twice', async () => {
      const { smtp, input, send } = await setup('throttled', [{ code: 454, text: 'Throttling failure: Maximum sending rate exceeded.' }]);

      const failure = await send(1).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: 'SmtpThrottled', nonRetryable: false });
      expect((failure as ApplicationFailure).nextRetryDelay).toBeDefined();
      expect((await getSend(db, input))?.status).toBe('PENDING');

      const result = await send(2);
      expect(result.alreadySent).toBe(false);
      expect(result.reply).toMatch(/^250 /);
      // The activity is retried after it had sent (e.g. the worker died before reporting): the ledger stops a second send.
      expect((await send(3)).alreadySent).toBe(true);
      expect(smtp.accepted).toEqual(['grace@example.test']);

      const attempts = await attemptsOf(db, input.runId);
      expect(attempts.map((a) => [a.attempt, a.outcome, a.smtpCode])).toEqual([
        [1, 'retrying', 454],
        [2, 'sent', 250],
      ]);
      expect(attempts[0]?.smtpReply).toMatch(/Maximum sending rate exceeded/);
      expect((await getSend(db, input))?.status).toBe('SENT');
    });

    it('treats 550 as permanent: non-retryable, contact failed, reply logged', async () => {
      const { smtp, input, send } = await setup('rejected', [{ code: 550, text: 'Mailbox unavailable' }]);
      const failure = await send(1).catch((e: unknown) => e);
      expect(failure).toMatchObject({ type: 'PermanentSmtpError', nonRetryable: true });
      expect(smtp.accepted).toEqual([]);
      const attempts = await attemptsOf(db, input.runId);
      expect((await getSend(db, input))?.status).toBe('FAILED');
      expect(attempts[0]).toMatchObject({ outcome: 'failed', smtpCode: 550 });
      expect(attempts[0]?.smtpReply).toMatch(/Mailbox unavailable/);
    });

    it('fails for good, with the fix, when a stored password cannot be decrypted', async () => {
      const { smtp, input } = await setup('undecryptable', []);
      const written = encryptSecret(makeKeyring(randomBytes(32)), 'pw', 'undecryptable');
      await updateSmtpProfile(
        db,
        'undecryptable',
        profileInput({ name: 'undecryptable', port: smtp.port, username: 'u', maxConnections: 1 }),
        written,
      );
      const rotatedAway = makeKeyring(randomBytes(32));
      const activity = createSendEmail({
        db,
        transports: threadedTransports((enc, profileId) => decryptSecret(rotatedAway, enc, profileId), localSmtpPolicy),
        messageIdSecret: Buffer.alloc(32, 2),
      });
      const failure = await new MockActivityEnvironment({ attempt: 1 }).run(activity, input).catch((e: unknown) => e);
      expect(failure).toMatchObject({ type: 'SmtpConfigurationError', nonRetryable: true, message: expect.stringMatching(/re-enter its password/) });
      expect(smtp.accepted).toEqual([]);
    });

    it("holds the profile's daily cap: the next message waits for a durable retry, unsent and unlogged", async () => {
      const { smtp, input, send } = await setup('capped', []);
      await updateSmtpProfile(
        db,
        'capped',
        profileInput({ name: 'capped', port: smtp.port, fromEmail: 'news@acme.test', maxConnections: 1, dailyCap: 1 }),
        '',
      );
      expect((await send(1)).alreadySent).toBe(false);
      const activity = createSendEmail({ db, transports, messageIdSecret: Buffer.alloc(32, 2) });
      const failure = await new MockActivityEnvironment({ attempt: 1 }).run(activity, { ...input, contactId: 'ct_ada' }).catch((e: unknown) => e);
      expect(failure).toMatchObject({ type: 'ThrottleWait', nonRetryable: false, message: expect.stringMatching(/daily cap of 1/) });
      expect((failure as ApplicationFailure).nextRetryDelay).toBeDefined();
      expect(smtp.accepted).toEqual(['grace@example.test']);
      expect(await attemptsOf(db, input.runId)).toHaveLength(1);
    });

    it('names an unknown SMTP profile instead of crashing', async () => {
      const { input } = await setup('gone', []);
      const activity = createSendEmail({ db, transports, messageIdSecret: Buffer.alloc(32, 2) });
      const failure = await new MockActivityEnvironment({ attempt: 1 }).run(activity, { ...input, profileId: 'nope' }).catch((e: unknown) => e);
      expect(failure).toMatchObject({ nonRetryable: true, message: expect.stringMatching(/SMTP profile "nope" does not exist/) });
    });

    it('treats a 4xx to AUTH (454 too many login attempts) as temporary, not as a broken profile', async () => {
      const { smtp, input, send } = await setup('auth-busy', [], [{ code: 454, text: '4.7.0 Too many login attempts, please try again later' }]);
      const failure = await send(1).catch((e: unknown) => e);
      expect(failure).toMatchObject({ type: 'TransientSmtpError', nonRetryable: false });
      expect((await getSmtpProfile(db, 'auth-busy'))?.failingSince).toBeNull();
      expect((await send(2)).alreadySent).toBe(false);
      expect(smtp.accepted).toEqual(['grace@example.test']);
      expect((await attemptsOf(db, input.runId)).map((a) => [a.outcome, a.smtpCode])).toEqual([
        ['retrying', 454],
        ['sent', 250],
      ]);
    });

    it('pauses the profile on a 5xx to AUTH, with the reply shown, until it is saved again', async () => {
      const { smtp, input, send } = await setup('auth-refused', [], [{ code: 535, text: '5.7.8 Username and Password not accepted' }]);
      const failure = await send(1).catch((e: unknown) => e);
      // Not a failed message: a paused profile, retried durably while someone fixes it.
      expect(failure).toMatchObject({
        type: 'ProfilePaused',
        nonRetryable: false,
        message: expect.stringMatching(/Username and Password not accepted/),
      });
      const paused = await getSmtpProfile(db, 'auth-refused');
      expect(paused?.failingReason).toMatch(/535 5.7.8 Username and Password not accepted/);
      // While paused, nothing is tried.
      expect(await send(2).catch((e: unknown) => e)).toMatchObject({ type: 'ProfilePaused' });
      expect(await attemptsOf(db, input.runId)).toHaveLength(1);
      // Saved again (the fix): sending resumes.
      await updateSmtpProfile(
        db,
        'auth-refused',
        profileInput({ name: 'auth-refused', port: smtp.port, username: 'mailer', maxConnections: 1 }),
        'stored',
      );
      expect((await send(3)).alreadySent).toBe(false);
      expect(smtp.accepted).toEqual(['grace@example.test']);
    });

    it('lets only one of two overlapping attempts of one send go out', async () => {
      const { smtp, send } = await setup('overlap', []);
      const [a, b] = await Promise.allSettled([send(1), send(2)]);
      const outcomes = [a, b].map((r) => (r.status === 'fulfilled' ? 'sent' : (r.reason as ApplicationFailure).type));
      expect(outcomes.sort()).toEqual(['SendBusy', 'sent']);
      expect(smtp.accepted).toEqual(['grace@example.test']);
      // The one that waited comes back, finds it sent, and sends nothing.
      expect((await send(3)).alreadySent).toBe(true);
      expect(smtp.accepted).toHaveLength(1);
    });

    it('numbers each row of a send’s log on from the last one: a resend after a lost attempt counts up', async () => {
      const { smtp, input, send } = await setup('numbered', [{ code: 451, text: '4.3.0 Try again later' }]);
      expect(await send(1).catch((e: unknown) => e)).toMatchObject({ type: 'TransientSmtpError' });
      // An attempt that claimed the send and died mid-send (its lease ran out): the outcome is unknown.
      const key = { runId: input.runId, nodeId: input.nodeId, contactId: input.contactId };
      await claimSend(db, key, { messageId: 'lost', owner: 'died', nowMs: Date.now() - 600_000, leaseMs: 1000 });
      expect((await send(3)).alreadySent).toBe(false);
      expect(smtp.accepted).toEqual(['grace@example.test']);
      const attempts = await attemptsOf(db, input.runId);
      expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
        [1, 'retrying'],
        [2, 'uncertain'],
        [3, 'sent'],
      ]);
    });

    it('holds the frequency cap for a journey’s send: skipped, or a durable retry when the window frees up', async () => {
      const { smtp, input } = await setup('frequency-capped', []);
      // The activity's clock is Temporal's (the attempt's scheduled time): now, here.
      const activity = createSendEmail({ db, transports, messageIdSecret: Buffer.alloc(32, 2) });
      const send = (attempt: number): Promise<SendEmailResult> =>
        new MockActivityEnvironment({ attempt, currentAttemptScheduledTimestampMs: Date.now() }).run(activity, input);
      // One marketing email a day, and grace had one from another flow an hour ago.
      const earlier = Date.now() - 3_600_000;
      await db
        .insertInto('deliveryAttempts')
        .values({
          runId: 'run-other-flow',
          nodeId: 'send',
          contactId: input.contactId,
          workflowId: 'wf-other',
          attempt: 1,
          outcome: 'sent',
          smtpCode: 250,
          smtpReply: '250 OK',
          messageId: '<o@t>',
          at: new Date(earlier).toISOString(),
        })
        .execute();
      await setFrequencyCap(db, { maxEmails: 1, periodHours: 24 });
      try {
        expect(await send(1)).toMatchObject({
          messageId: '',
          alreadySent: false,
          skipped: 'frequency capped: 1 marketing email per day reached; skipped',
        });
        input.whenCapped = 'wait';
        const failure = await send(2).catch((e: unknown) => e);
        expect(failure).toMatchObject({ type: 'FrequencyCapped', nonRetryable: false });
        // Due back once the other flow's email leaves the day (plus a little jitter).
        const delay = Number((failure as ApplicationFailure).nextRetryDelay);
        expect(Date.now() + delay).toBeGreaterThanOrEqual(earlier + 24 * 3_600_000);
        expect(Date.now() + delay).toBeLessThan(earlier + 24 * 3_600_000 + 0.25 * 23 * 3_600_000);
        expect(smtp.accepted).toEqual([]);
        expect((await attemptsOf(db, input.runId)).map((a) => a.outcome)).toEqual(['frequency_capped', 'frequency_capped']);
        // With the cap off, the same send goes out.
        await setFrequencyCap(db, null);
        expect((await send(3)).alreadySent).toBe(false);
        expect(smtp.accepted).toEqual(['grace@example.test']);
      } finally {
        await setFrequencyCap(db, null);
      }
    });
  });
});
