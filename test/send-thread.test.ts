/**
 * The sending thread (server/smtp/send-thread.ts) against a real SMTP server: what a send's outcome
 * means is read from the error's fields on the worker's side, so they must cross the thread intact;
 * a send in flight when the thread goes is "outcome unknown" (resent with its Message-ID or held),
 * never "not sent"; a profile edit replaces its pool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badMailbox, classifySmtpError } from '../server/smtp/classify';
import { threadedTransports } from '../server/smtp/send-thread';
import { SendGate } from '../server/smtp/transport-pool';
import { localSmtpPolicy, localSmtpServer, poolProfile } from './helpers';

let closeServer: () => Promise<void>;
let port = 0;
const received: string[] = [];
/** Messages to this address are held at the end of DATA until released. */
let releaseHeld: (() => void) | undefined;
let heldArrived: () => void = () => {};

beforeAll(async () => {
  ({ port, close: closeServer } = await localSmtpServer({
    onRcptTo(address, _session, callback) {
      if (address.address === 'gone@example.test')
        return callback(Object.assign(new Error('5.1.1 <gone@example.test>: Recipient address rejected: User unknown'), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address).join(',');
        if (to === 'held@example.test') {
          releaseHeld = () => callback();
          heldArrived();
          return;
        }
        received.push(to);
        callback(null, `queued as ${received.length}`);
      });
    },
  }));
});

afterAll(async () => {
  releaseHeld?.();
  await closeServer();
});

const profile = (updatedAt: string) => poolProfile({ id: 'p1', updatedAt, port, maxConnections: 2 });

const mail = (to: string) => ({ from: 'a@example.test', to, subject: 'Hi', text: 'Hello' });

describe('the sending thread', () => {
  it('returns the server’s reply, and a refusal with the fields that classify it', async () => {
    const pool = threadedTransports(() => '', localSmtpPolicy);
    try {
      const info = await pool.get(profile('v1')).sendMail(mail('ok@example.test'));
      expect(info.response).toMatch(/^250 queued as \d+/);
      const err = await pool
        .get(profile('v1'))
        .sendMail(mail('gone@example.test'))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(Error);
      expect(err).toMatchObject({ responseCode: 550, command: 'RCPT TO' });
      expect(classifySmtpError(err)).toMatchObject({ kind: 'permanent', code: 550, unknown: false });
      expect(badMailbox(err)).toBe(true);
    } finally {
      pool.close();
    }
  });

  it('fails a send in flight as "outcome unknown" when the thread goes, and a new pool sends again', async () => {
    const pool = threadedTransports(() => '', localSmtpPolicy);
    const arrived = new Promise<void>((resolve) => {
      heldArrived = resolve;
    });
    const inFlight = pool
      .get(profile('v1'))
      .sendMail(mail('held@example.test'))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    // The server has the whole message and has not answered: the send may or may not count.
    await arrived;
    pool.close();
    const err = await inFlight;
    expect(classifySmtpError(err)).toMatchObject({ kind: 'transient', unknown: true });

    const again = threadedTransports(() => '', localSmtpPolicy);
    try {
      const before = received.length;
      await again.get(profile('v1')).sendMail(mail('after@example.test'));
      // A profile edit replaces the pool; sends go on through the new one.
      await again.get(profile('v2')).sendMail(mail('edited@example.test'));
      expect(received.slice(before)).toEqual(['after@example.test', 'edited@example.test']);
    } finally {
      again.close();
    }
  });

  it('refuses a policy with its own resolver: host names are resolved in the thread', () => {
    expect(() => threadedTransports(() => '', { ...localSmtpPolicy, lookup: async () => ['127.0.0.1'] })).toThrow(/custom lookup/);
  });
});

describe('a session the server throttled', () => {
  it('is not used again when refused at MAIL FROM: the next message goes on a new connection (a refused address or a 454 after the data is no reason to)', async () => {
    let connections = 0;
    const server = await localSmtpServer({
      onConnect(_session, callback) {
        connections++;
        callback();
      },
      onMailFrom(address, _session, callback) {
        // As Postfix refuses a client over smtpd_client_message_rate_limit.
        if (address.address === 'fast@example.test')
          return callback(Object.assign(new Error('4.7.1 Error: too much mail from 127.0.0.1'), { responseCode: 450 }));
        callback();
      },
      onRcptTo(address, _session, callback) {
        if (address.address === 'gone@example.test') return callback(Object.assign(new Error('5.1.1 User unknown'), { responseCode: 550 }));
        callback();
      },
      onData(stream, session, callback) {
        stream.resume();
        // As Amazon SES sheds load: after the data.
        const shed = session.envelope.rcptTo.some((r) => r.address === 'shed@example.test');
        stream.on('end', () =>
          callback(shed ? Object.assign(new Error('Throttling failure: Maximum sending rate exceeded.'), { responseCode: 454 }) : null),
        );
      },
    });
    const pool = threadedTransports(() => '', localSmtpPolicy);
    const transport = () => pool.get(poolProfile({ id: 'p2', updatedAt: 'v1', port: server.port, maxConnections: 1 }));
    const refusal = (m: ReturnType<typeof mail>) =>
      transport()
        .sendMail(m)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
    try {
      await transport().sendMail(mail('ok@example.test'));
      expect(classifySmtpError(await refusal(mail('gone@example.test')))).toMatchObject({ kind: 'permanent', code: 550 });
      expect(classifySmtpError(await refusal(mail('shed@example.test')))).toMatchObject({ kind: 'throttled', code: 454, stage: 'end of data' });
      await transport().sendMail(mail('ok@example.test'));
      expect(connections).toBe(1);
      expect(classifySmtpError(await refusal({ ...mail('ok@example.test'), from: 'fast@example.test' }))).toMatchObject({
        kind: 'throttled',
        code: 450,
      });
      await transport().sendMail(mail('ok@example.test'));
      expect(connections).toBe(2);
    } finally {
      pool.close();
      await server.close();
    }
  });
});

describe('the send gate', () => {
  it('lets waiting sends in as soon as its limit is raised, and holds new ones once it is lowered', async () => {
    const gate = new SendGate(1);
    await gate.acquire();
    let second = false;
    const waiting = gate.acquire().then(() => {
      second = true;
    });
    await Promise.resolve();
    expect(second).toBe(false);
    gate.limit = 2;
    await waiting;
    expect(second).toBe(true);
    gate.limit = 1;
    gate.release();
    let third = false;
    const next = gate.acquire().then(() => {
      third = true;
    });
    await Promise.resolve();
    // Still one in: the lower limit holds the new one until it ends.
    expect(third).toBe(false);
    gate.release();
    await next;
    expect(third).toBe(true);
  });
});
