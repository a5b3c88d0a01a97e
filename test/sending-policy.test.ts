/**
 * The send policy (server/sending/policy.ts) over every row of the outcome table: each row is the
 * error nodemailer raises for it (fields as they cross the sending thread), classified, then decided.
 */
import { describe, expect, it } from 'vitest';
import { backoff, DEFAULT_RETRY_FOR_MS, decide, MAX_BACKOFF_MS, type AttemptState, type ProfileState } from '../server/sending/policy';
import { duration } from '../server/sending/messages';
import { classifySmtpError } from '../server/smtp/classify';

const NOW = Date.UTC(2026, 0, 10);
const first: AttemptState = { failures: 0, throttled: 0, firstTriedAt: NOW, now: NOW, random: 0 };
const resend: ProfileState = { uncertainPolicy: 'resend', retryForMs: DEFAULT_RETRY_FOR_MS };
const hold: ProfileState = { ...resend, uncertainPolicy: 'hold' };
const failed = (err: Record<string, unknown>, attempt = first, profile = resend) =>
  decide({ accepted: false, ...classifySmtpError({ message: 'failed', ...err }) }, attempt, profile);
const reply = (code: number, text: string, command: string, nodemailerCode = 'EENVELOPE') => ({
  code: nodemailerCode,
  responseCode: code,
  response: `${code} ${text}`,
  command,
});

describe('the send policy', () => {
  it('250 after the end of data: sent, with the reply', () => {
    expect(decide({ accepted: true, reply: '250 2.0.0 Ok: queued as 4F' }, first, resend)).toEqual({
      kind: 'sent',
      code: 250,
      reply: '250 2.0.0 Ok: queued as 4F',
    });
  });

  it('4xx at any stage, AUTH included: retried with backoff and jitter', () => {
    const replies = [
      reply(450, '4.2.1 Mailbox busy', 'RCPT TO'),
      reply(451, '4.3.0 Local error in processing', 'MAIL FROM'),
      reply(452, '4.3.1 Insufficient system storage', 'DATA', 'EMESSAGE'),
      reply(454, '4.7.0 Temporary authentication failure', 'AUTH PLAIN', 'EAUTH'),
      reply(432, '4.7.12 A password transition is needed', 'AUTH LOGIN', 'EAUTH'),
    ];
    for (const err of [replies[0]!, replies[1]!, replies[2]!, replies[4]!]) {
      expect(failed(err)).toMatchObject({ kind: 'retry', uncertain: false, retryInMs: 2000 });
      expect(failed(err, { ...first, failures: 3, random: 0.5 })).toMatchObject({ kind: 'retry', retryInMs: 2000 * 8 * 1.1 });
    }
    // 454 (like 421) says the server is busy: the profile slows down rather than backing off.
    expect(failed(replies[3]!)).toMatchObject({ kind: 'slow down', code: 454 });
    expect(failed(replies[0]!, { ...first, failures: 40, random: 0.99 })).toMatchObject({ retryInMs: Math.round(MAX_BACKOFF_MS * 1.198) });
  });

  it('throttle replies slow the profile down, and "too many connections" lowers the connection limit', () => {
    for (const text of ['4.7.0 Maximum sending rate exceeded', '4.7.1 too much mail from this client', '4.3.2 rate limited, try later']) {
      expect(failed(reply(451, text, 'MAIL FROM'))).toMatchObject({ kind: 'slow down', code: 451 });
    }
    expect(failed(reply(421, '4.7.0 Too many connections from your host', 'CONN', 'ECONNECTION'))).toMatchObject({
      kind: 'fewer connections',
      code: 421,
    });
  });

  it('5xx to MAIL, RCPT or DATA: failed with the reply; 5.1.x naming the mailbox suppresses the address', () => {
    expect(failed(reply(550, '5.1.1 <gone@example.test>: Recipient address rejected: User unknown', 'RCPT TO'))).toEqual({
      kind: 'suppress',
      code: 550,
      reply: '550 5.1.1 <gone@example.test>: Recipient address rejected: User unknown',
    });
    expect(failed(reply(553, '5.1.3 Bad recipient address syntax', 'RCPT TO'))).toMatchObject({ kind: 'suppress' });
    expect(failed(reply(552, '5.2.2 Mailbox full', 'RCPT TO'))).toMatchObject({ kind: 'failed', code: 552 });
    expect(failed(reply(550, '5.7.1 Sender rejected by policy', 'MAIL FROM'))).toMatchObject({ kind: 'failed', code: 550 });
    expect(failed(reply(554, '5.7.1 Message rejected as spam', 'DATA', 'EMESSAGE'))).toMatchObject({ kind: 'failed', code: 554 });
    expect(failed(reply(521, '5.3.2 Not accepting mail', 'DATA'))).toMatchObject({ kind: 'failed', code: 521 });
  });

  it('530, 534, 535 to AUTH, a TLS failure or the outbound guard: the profile pauses', () => {
    for (const code of [530, 534, 535])
      expect(failed(reply(code, '5.7.8 Authentication credentials invalid', 'AUTH PLAIN', 'EAUTH'))).toMatchObject({ kind: 'pause profile', code });
    const tls = [
      { code: 'ETLS', command: 'STARTTLS', message: 'Error initiating TLS - self-signed certificate' },
      { code: 'ESOCKET', command: 'CONN', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' },
      {
        code: 'ESOCKET',
        command: 'CONN',
        originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID',
        message: "Hostname/IP does not match certificate's altnames",
      },
      { code: 'ESOCKET', command: 'CONN', message: 'C0:error:0A00010B:SSL routines:ssl3_get_record:wrong version number' },
      { code: 'ETLS', command: 'CONN', message: 'Connection closed unexpectedly' },
    ];
    for (const err of tls) expect(failed(err)).toMatchObject({ kind: 'pause profile', code: null });
    expect(failed({ code: 'EOUTBOUND', message: 'The SMTP server 10.0.0.5 is an internal address' })).toMatchObject({ kind: 'pause profile' });
  });

  it('a connection refused, reset or timed out before the end of data: retried, nothing was sent', () => {
    const before = [
      { code: 'ESOCKET', command: 'CONN', originalCode: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:25', dataSent: 'none' },
      { code: 'ECONNECTION', command: 'CONN', message: 'Connection closed unexpectedly', dataSent: 'none' },
      { code: 'ESOCKET', command: 'CONN', originalCode: 'ECONNRESET', message: 'read ECONNRESET', dataSent: 'some' },
      { code: 'ETIMEDOUT', command: 'CONN', message: 'Greeting never received', dataSent: 'none' },
      { code: 'ETIMEDOUT', command: 'CONN', message: 'Timeout', dataSent: 'none' },
    ];
    for (const err of before) expect(failed(err, first, hold)).toMatchObject({ kind: 'retry', code: null, uncertain: false });
  });

  it('a connection lost after the data and before its reply: uncertain, resent with the same Message-ID or held', () => {
    const lost = { code: 'ECONNECTION', command: 'CONN', message: 'Connection closed unexpectedly', dataSent: 'all' };
    expect(failed(lost)).toMatchObject({ kind: 'retry', uncertain: true });
    expect(failed(lost, first, hold)).toEqual({ kind: 'hold', code: null, reply: 'Connection closed unexpectedly' });
    // The sending thread went with the send: nobody knows how far it got.
    expect(failed({ code: 'ESOCKET', message: 'Connection lost: the sending thread stopped', dataSent: 'unknown' })).toMatchObject({
      uncertain: true,
    });
  });

  it('EENVELOPE and EMESSAGE without a reply: failed', () => {
    expect(failed({ code: 'EENVELOPE', command: 'API', message: 'No recipients defined' })).toMatchObject({ kind: 'failed', code: null });
    expect(failed({ code: 'EMESSAGE', command: 'MAIL FROM', message: 'Message size larger than allowed 1000' })).toMatchObject({ kind: 'failed' });
  });

  it("gives up on transient failures after the profile's retry time, with the last reply and how long", () => {
    const late = { ...first, now: NOW + DEFAULT_RETRY_FOR_MS };
    expect(failed(reply(451, '4.3.0 Try again later', 'MAIL FROM'), late)).toEqual({
      kind: 'failed',
      code: 451,
      reply: 'gave up after 3 days: 451 4.3.0 Try again later',
    });
    expect(failed(reply(451, '4.7.0 Maximum sending rate exceeded', 'MAIL FROM'), late)).toMatchObject({ kind: 'failed' });
    expect(failed({ code: 'ECONNECTION', message: 'Connection closed unexpectedly', dataSent: 'all' }, late)).toMatchObject({
      kind: 'failed',
      reply: 'gave up after 3 days: Connection closed unexpectedly',
    });
    // Permanent and configuration outcomes are what they are, however long it took.
    expect(failed(reply(535, '5.7.8 bad login', 'AUTH PLAIN', 'EAUTH'), late)).toMatchObject({ kind: 'pause profile' });
    expect(failed(reply(451, '4.3.0 Try again later', 'MAIL FROM'), { ...late, now: late.now - 1 })).toMatchObject({ kind: 'retry' });
  });

  it('in a batch, hands a recipient off after its quick retries', () => {
    const quick = { failures: 3, throttled: 20 };
    const transient = reply(451, '4.3.0 Try again later', 'MAIL FROM');
    expect(failed(transient, { ...first, quick, failures: 1 })).toMatchObject({ kind: 'retry', retryInMs: 1000 });
    expect(failed(transient, { ...first, quick, failures: 2 })).toMatchObject({ kind: 'hand off', code: 451 });
    const rate = reply(451, '4.7.0 Maximum sending rate exceeded', 'MAIL FROM');
    expect(failed(rate, { ...first, quick, throttled: 18 })).toMatchObject({ kind: 'slow down' });
    expect(failed(rate, { ...first, quick, throttled: 19 })).toMatchObject({ kind: 'hand off' });
  });

  it('says durations as a person does', () => {
    expect([duration(3 * 86_400_000), duration(3_600_000), duration(150_000), duration(4_000)]).toEqual(['3 days', '1 hour', '2 minutes', '4 s']);
    expect(backoff(2000, 0, 0)).toBe(2000);
  });
});
