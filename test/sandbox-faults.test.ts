/**
 * The sandbox SMTP server's fault modes, each driven by a real nodemailer client (or a raw socket
 * where the exact dialogue matters) against a real server: the replies a client sees word for word,
 * what is kept and what is not, and what the sandbox counts. The product's sandbox process is run too,
 * with SANDBOX_FAULTS from its environment.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../server/config';
import { openSandboxDatabase } from '../server/db';
import { listSandboxMessages } from '../server/db/sandbox';
import { parseFaults, rejectsRecipient, type Faults } from '../server/sandbox-faults';
import { startSandboxSmtp, type SandboxSmtp } from '../server/sandbox-smtp';
import { classifySmtpError } from '../server/smtp/classify';
import { transportOptions } from '../server/smtp/transport';
import { eventually, localSmtpPolicy, root, sleep, tempDir } from './helpers';
import { oneConnectionPerMessage, RawSmtp, send, settings } from './smtp-clients';

/** A running sandbox with faults, and what it kept (Message-IDs, with the server's clock). */
interface Sandbox {
  smtp: SandboxSmtp;
  kept: { messageId: string; at: number }[];
}

const running: SandboxSmtp[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function sandbox(
  spec: string,
  extra: { login?: { user: string; password: string }; answerRecipient?: (a: string) => { code: number; text: string } | undefined } = {},
): Promise<Sandbox> {
  const kept: Sandbox['kept'] = [];
  const smtp = await startSandboxSmtp({
    port: 0,
    faults: parseFaults(spec),
    onMessage: async (m) => void kept.push({ messageId: m.messageId, at: performance.now() }),
    ...extra,
  });
  running.push(smtp);
  return { smtp, kept };
}

describe('SANDBOX_FAULTS', () => {
  it('parses the compact spec into a typed Faults object', () => {
    const config = readConfig({
      SANDBOX_FAULTS: 'throttle=50/s, greylist=1,reject=5%,drop-after-data=1%,auth454=1,slow=200ms,disconnect421=2%,max-connections=10,seed=run-7',
    });
    expect(config.SANDBOX_FAULTS).toEqual<Faults>({
      throttle: { perSecond: 50, burst: 50 },
      greylist: 1,
      rejectPercent: 5,
      dropAfterDataPercent: 1,
      auth454: 1,
      slowMs: 200,
      disconnect421Percent: 2,
      maxConnections: 10,
      seed: 'run-7',
    });
    expect(readConfig({}).SANDBOX_FAULTS).toEqual({});
    expect(parseFaults('')).toEqual({});
    // The burst is one second's worth unless given, and at least one message.
    expect(parseFaults('burst=5,throttle=20/s').throttle).toEqual({ perSecond: 20, burst: 5 });
    expect(parseFaults('throttle=0.5/s').throttle).toEqual({ perSecond: 0.5, burst: 1 });
    expect(parseFaults('slow=2s').slowMs).toBe(2000);
    expect(parseFaults('slow-greeting=300ms').greetingMs).toBe(300);
  });

  it.each([
    ['throttle=50', '"throttle=50": throttle takes messages per second above 0, like throttle=50/s'],
    ['reject=150%', '"reject=150%": reject takes a percentage above 0% and at most 100%, like reject=5%'],
    ['reject=5', '"reject=5": reject takes a percentage'],
    ['drop-after-data=0%', '"drop-after-data=0%": drop-after-data takes a percentage above 0%'],
    ['slow=200', '"slow=200": slow takes a delay in ms or s, like slow=200ms'],
    ['greylist', '"greylist": greylist needs a value; greylist takes how many first attempts'],
    ['auth454=-1', '"auth454=-1": auth454 takes how many first AUTH attempts to refuse'],
    ['max-connections=0', '"max-connections=0": max-connections takes a whole number, at least 1'],
    ['burst=10', 'burst needs a throttle too, like throttle=50/s,burst=10'],
    ['greylist=1,greylist=2', '"greylist=2": greylist is given twice; keep one'],
    ['throttle=5/s;reject=1%', '"throttle=5/s;reject=1%": throttle takes messages per second'],
    [
      'rejects=5%',
      '"rejects=5%": unknown fault "rejects"; known ones are window, per-minute, per-hour, per-connection, real, throttle, burst, fail454, max-connections, disconnect421, greylist, reject, auth454, block550, drop-after-data, slow, slow-greeting, seed',
    ],
  ])('%s is refused with an error naming SANDBOX_FAULTS and what is wrong', (spec, problem) => {
    expect(() => readConfig({ SANDBOX_FAULTS: spec })).toThrow(`SANDBOX_FAULTS: ${problem}`);
    expect(() => parseFaults(spec)).toThrow(/^SANDBOX_FAULTS is not valid/);
  });

  it('lists every problem of a spec at once', () => {
    let message = '';
    try {
      readConfig({ SANDBOX_FAULTS: 'throttle=fast,reject=150%,slow=1' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n').filter((l) => l.startsWith('  SANDBOX_FAULTS: '))).toHaveLength(3);
  });
});

describe('throttle: a token bucket shared by all connections, 454 after DATA as Amazon SES answers', () => {
  it('answers a message over the rate 454 after its DATA and does not keep it', async () => {
    const { smtp, kept } = await sandbox('throttle=0.1/s,burst=1');
    const transport = oneConnectionPerMessage(smtp.port);
    const first = await send(transport);
    const second = await send(transport);
    expect(first.err).toBeNull();
    expect(second.err).toMatchObject({
      code: 'EMESSAGE',
      command: 'DATA',
      responseCode: 454,
      response: '454 4.7.0 Throttling failure: Maximum sending rate exceeded.',
    });
    expect(classifySmtpError(second.err)).toMatchObject({ kind: 'throttled', code: 454 });
    expect(kept.map((k) => k.messageId)).toEqual([first.messageId]);
    expect(smtp.stats()).toMatchObject({ accepted: 1, throttled: 1 });
  });

  it('fail454 answers a share of messages 454 whatever the pace, and keeps none of them', async () => {
    const { smtp, kept } = await sandbox('fail454=30%');
    const transport = oneConnectionPerMessage(smtp.port);
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await send(transport));
    const refused = results.filter((r) => r.err);
    expect(refused).toHaveLength(3);
    for (const r of refused) expect(classifySmtpError(r.err)).toMatchObject({ kind: 'throttled', code: 454 });
    expect(kept).toHaveLength(7);
    expect(smtp.stats()).toMatchObject({ accepted: 7, throttled: 3 });
  });

  it('admits at most burst + R × t in any window of t seconds, across pooled connections', async () => {
    const rate = 20;
    const burst = 5;
    const { smtp, kept } = await sandbox(`throttle=${rate}/s,burst=${burst}`);
    const transport = nodemailer.createTransport(transportOptions(settings(smtp.port), '', localSmtpPolicy));
    const outcomes: Awaited<ReturnType<typeof send>>[] = [];
    const until = Date.now() + 3_000;
    // Six senders over the pool's four connections, far faster than 20/s.
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (Date.now() < until) outcomes.push(await send(transport));
      }),
    );
    transport.close();

    const accepted = outcomes.filter((o) => o.err === null);
    const throttled = outcomes.filter((o) => o.err !== null);
    expect(throttled.length).toBeGreaterThan(accepted.length);
    for (const o of throttled)
      expect(o.err).toMatchObject({ responseCode: 454, response: '454 4.7.0 Throttling failure: Maximum sending rate exceeded.' });
    // Throttled messages are not kept; accepted ones are, once each.
    expect(kept.map((k) => k.messageId).sort()).toEqual(accepted.map((o) => o.messageId).sort());
    expect(smtp.stats()).toMatchObject({ accepted: accepted.length, throttled: throttled.length });

    // Count what the server kept in every window of 1 s and 2 s starting at a kept message. A token is
    // taken just before the message is parsed and kept, so one message of slack covers that gap.
    const times = kept.map((k) => k.at).sort((a, b) => a - b);
    for (const seconds of [1, 2]) {
      const busiest = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + seconds * 1000).length));
      expect(busiest, `busiest ${seconds} s window`).toBeLessThanOrEqual(burst + rate * seconds + 1);
    }
    const span = (times.at(-1)! - times[0]!) / 1000;
    expect(times.length).toBeLessThanOrEqual(burst + rate * span + 1);
    // And it is a rate, not a wall: the senders kept the bucket empty, so it admitted close to all it could.
    expect(times.length).toBeGreaterThanOrEqual(0.8 * (burst + rate * span));
  });
});

describe('server shapes: a window per client, caps per minute and hour, a limit per connection', () => {
  it('counts a client across its pooled connections (Postfix anvil): beyond the window 450 to MAIL FROM, nothing kept, a throttle reply', async () => {
    const { smtp, kept } = await sandbox('window=10/1h,real=80%');
    const transport = nodemailer.createTransport(transportOptions(settings(smtp.port), '', localSmtpPolicy));
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => send(transport)));
    transport.close();
    const refused = outcomes.filter((o) => o.err);
    expect(refused).toHaveLength(4);
    for (const o of refused) {
      expect(o.err).toMatchObject({ responseCode: 450, response: '450 4.7.1 Error: too much mail from this client' });
      expect(classifySmtpError(o.err)).toMatchObject({ kind: 'throttled', code: 450 });
    }
    expect(kept).toHaveLength(8);
    expect(smtp.stats()).toMatchObject({ accepted: 8, rateLimited: 4 });
  });

  it('answers a message over the limit per connection 421 4.3.2 and closes; a new connection goes on, no slow-down', async () => {
    const { smtp, kept } = await sandbox('per-connection=2');
    const raw = await RawSmtp.open(smtp.port);
    expect(await raw.reply()).toMatch(/^220 /);
    expect(await raw.command('EHLO client.test')).toMatch(/^250 /);
    for (let i = 0; i < 2; i++) {
      expect(await raw.command('MAIL FROM:<news@example.test>')).toMatch(/^250 /);
      expect(await raw.command('RSET')).toMatch(/^250 /);
    }
    expect(await raw.command('MAIL FROM:<news@example.test>')).toBe('421 4.3.2 Message limit per connection reached, closing');
    await raw.untilClosed();
    const next = await send(oneConnectionPerMessage(smtp.port));
    expect(next.err).toBeNull();
    expect(kept).toHaveLength(1);
    expect(classifySmtpError({ responseCode: 421, response: '421 4.3.2 Message limit per connection reached, closing' })).toMatchObject({
      kind: 'transient',
    });
    expect(smtp.stats()).toMatchObject({ connectionLimited: 1 });
  });
});

describe('421: too many connections, then the server closes', () => {
  it('answers a fraction of MAIL FROM with 421 and closes; those messages are not kept', async () => {
    const { smtp, kept } = await sandbox('disconnect421=50%');
    const transport = oneConnectionPerMessage(smtp.port);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await send(transport));
    // Every second message, counted at MAIL FROM.
    expect(results.map((r) => r.err === null)).toEqual([true, false, true, false]);
    for (const r of [results[1]!, results[3]!]) {
      expect(r.err).toMatchObject({
        code: 'EENVELOPE',
        command: 'MAIL FROM',
        responseCode: 421,
        response: '421 4.7.0 Too many connections, closing',
      });
      expect(classifySmtpError(r.err)).toMatchObject({ kind: 'too-many-connections', code: 421 });
    }
    expect(kept.map((k) => k.messageId)).toEqual([results[0]!.messageId, results[2]!.messageId]);
    expect(smtp.stats()).toMatchObject({ accepted: 2, disconnected: 2 });

    // The server closes the connection after the 421 (a raw socket sees it go).
    const raw = await RawSmtp.open(smtp.port);
    expect(await raw.reply()).toMatch(/^220 /);
    expect(await raw.command('EHLO client.test')).toMatch(/^250 /);
    expect(await raw.command('MAIL FROM:<news@example.test>')).toMatch(/^250 /); // the 5th MAIL FROM passes
    expect(await raw.command('RSET')).toMatch(/^250 /);
    expect(await raw.command('MAIL FROM:<news@example.test>')).toBe('421 4.7.0 Too many connections, closing');
    await raw.untilClosed();
  });

  it('refuses a connection beyond max-connections with 421 instead of the greeting', async () => {
    const { smtp } = await sandbox('max-connections=2');
    const a = await RawSmtp.open(smtp.port);
    const b = await RawSmtp.open(smtp.port);
    expect(await a.reply()).toMatch(/^220 /);
    expect(await b.reply()).toMatch(/^220 /);
    const third = await RawSmtp.open(smtp.port);
    expect(await third.reply()).toBe('421 4.7.0 Too many connections, closing');
    await third.untilClosed();

    const refused = await send(oneConnectionPerMessage(smtp.port));
    expect(refused.err).toMatchObject({ command: 'CONN', responseCode: 421, response: '421 4.7.0 Too many connections, closing' });
    expect(classifySmtpError(refused.err)).toMatchObject({ kind: 'too-many-connections', code: 421 });

    // One leaves: a new connection is served again.
    a.end();
    await a.untilClosed();
    await sleep(100); // the server sees the close a moment later
    expect((await send(oneConnectionPerMessage(smtp.port))).err).toBeNull();
    b.end();
    expect(smtp.stats()).toMatchObject({ tooManyConnections: 2, accepted: 1 });
  });
});

describe('451 greylisting', () => {
  it('refuses the first attempt of each (sender, recipient) pair and lets later ones through', async () => {
    const { smtp, kept } = await sandbox('greylist=1');
    const transport = oneConnectionPerMessage(smtp.port);
    const first = await send(transport, 'ann@example.test');
    expect(first.err).toMatchObject({
      code: 'EENVELOPE',
      command: 'RCPT TO',
      responseCode: 451,
      response: '451 4.7.1 Greylisted, please try again later',
    });
    expect(classifySmtpError(first.err)).toMatchObject({ kind: 'transient', code: 451 });
    const retry = await send(transport, 'ann@example.test');
    expect(retry.err).toBeNull();
    // Another recipient, or another sender, is a new pair.
    expect((await send(transport, 'bob@example.test')).err).toMatchObject({ responseCode: 451 });
    expect((await send(transport, 'ann@example.test', 'other@example.test')).err).toMatchObject({ responseCode: 451 });
    expect((await send(transport, 'ANN@example.test')).err).toBeNull();
    expect(kept).toHaveLength(2);
    expect(smtp.stats()).toMatchObject({ greylisted: 3, accepted: 2 });
  });
});

describe('550 rejects', () => {
  const addresses = Array.from({ length: 30 }, (_, i) => `person${i}@example.test`);

  it('rejects the same recipients every time, chosen by a hash of the address and the seed', async () => {
    const faults = parseFaults('reject=30%,seed=s1');
    const rejected = addresses.filter((a) => rejectsRecipient(faults, a));
    expect(rejected.length).toBeGreaterThan(3);
    expect(rejected.length).toBeLessThan(18);
    expect(addresses.filter((a) => rejectsRecipient(parseFaults('reject=30%,seed=s2'), a))).not.toEqual(rejected);

    const { smtp, kept } = await sandbox('reject=30%,seed=s1');
    const transport = oneConnectionPerMessage(smtp.port);
    const accepted: string[] = [];
    for (const address of addresses) {
      const { messageId, err } = await send(transport, address);
      if (!rejected.includes(address)) {
        expect(err, address).toBeNull();
        accepted.push(messageId);
        continue;
      }
      expect(err).toMatchObject({ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, response: '550 5.1.1 Mailbox unavailable' });
      expect(classifySmtpError(err)).toMatchObject({ kind: 'permanent', code: 550 });
      // A retry gets the same answer.
      expect((await send(transport, address)).err).toMatchObject({ responseCode: 550 });
    }
    expect(kept.map((k) => k.messageId)).toEqual(accepted);
    expect(smtp.stats()).toMatchObject({ rejected: rejected.length * 2, accepted: addresses.length - rejected.length });
  });

  it('keeps answerRecipient (the tests’ own replies) ahead of the faults', async () => {
    const { smtp } = await sandbox('reject=100%', {
      answerRecipient: (a) => (a === 'full@example.test' ? { code: 452, text: '4.2.2 Mailbox full' } : undefined),
    });
    const transport = oneConnectionPerMessage(smtp.port);
    expect((await send(transport, 'full@example.test')).err).toMatchObject({ response: '452 4.2.2 Mailbox full' });
    expect((await send(transport, 'other@example.test')).err).toMatchObject({ response: '550 5.1.1 Mailbox unavailable' });
  });
});

describe('454 to AUTH', () => {
  it('refuses the first K logins with 454, then checks the credentials as usual', async () => {
    const login = { user: 'me@gmail.test', password: 'right-app-password' };
    const { smtp, kept } = await sandbox('auth454=2', { login });
    const transport = oneConnectionPerMessage(smtp.port, { user: login.user, pass: login.password });
    for (let i = 0; i < 2; i++) {
      const { err } = await send(transport);
      expect(err).toMatchObject({ code: 'EAUTH', responseCode: 454, response: '454 4.7.0 Too many login attempts, please try again later' });
    }
    expect((await send(transport)).err).toBeNull();
    const wrong = await send(oneConnectionPerMessage(smtp.port, { user: login.user, pass: 'wrong-password' }));
    expect(wrong.err).toMatchObject({ code: 'EAUTH', responseCode: 535 });
    expect(kept).toHaveLength(1);
    expect(smtp.stats()).toMatchObject({ authRefused: 2, accepted: 1 });
  });
});

describe('connection dropped after DATA', () => {
  it('keeps the message, then destroys the connection: the client gets an error, not a 250', async () => {
    const { smtp, kept } = await sandbox('drop-after-data=50%');
    const transport = oneConnectionPerMessage(smtp.port);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await send(transport));
    expect(results.map((r) => r.err === null)).toEqual([true, false, true, false]);
    for (const r of [results[1]!, results[3]!]) {
      expect(r.err).toMatchObject({ code: 'ECONNECTION', message: 'Connection closed unexpectedly' });
      expect(r.err?.responseCode).toBeUndefined();
      expect(classifySmtpError(r.err)).toMatchObject({ kind: 'transient', code: null });
    }
    // All four were kept, the two the client saw fail included.
    expect(kept.map((k) => k.messageId)).toEqual(results.map((r) => r.messageId));
    expect(smtp.stats()).toMatchObject({ accepted: 2, dropped: 2 });
  });

  it('the pooled transport reports the dropped message as failed and does not send it again', async () => {
    const { smtp, kept } = await sandbox('drop-after-data=10%');
    const transport = nodemailer.createTransport(transportOptions(settings(smtp.port), '', localSmtpPolicy));
    const results = await Promise.all(Array.from({ length: 40 }, () => send(transport)));
    transport.close();
    const failed = results.filter((r) => r.err !== null);
    expect(failed).toHaveLength(4);
    for (const r of failed) expect(r.err).toMatchObject({ code: 'ECONNECTION' });
    expect(kept).toHaveLength(40);
    expect(new Set(kept.map((k) => k.messageId)).size).toBe(40);
    expect(smtp.stats()).toMatchObject({ accepted: 36, dropped: 4 });
  });
});

describe('slow replies', () => {
  it('delays the greeting, MAIL FROM, RCPT TO and the end of DATA', async () => {
    const { smtp, kept } = await sandbox('slow=300ms');
    const started = performance.now();
    expect((await send(oneConnectionPerMessage(smtp.port))).err).toBeNull();
    expect(performance.now() - started).toBeGreaterThanOrEqual(4 * 300);
    expect(kept).toHaveLength(1);
    // A client that waits less than that for the greeting gives up.
    const impatient = await send(oneConnectionPerMessage(smtp.port, undefined, { greetingTimeout: 100 }));
    expect(impatient.err).toMatchObject({ code: 'ETIMEDOUT' });
    expect(classifySmtpError(impatient.err).kind).toBe('transient');
  });
});

describe('the product’s sandbox process reads SANDBOX_FAULTS', () => {
  const port = 2811;
  const login = { user: 'sandbox', pass: 'sandbox-password' };

  function startSandboxProcess(env: Record<string, string>) {
    const dataDir = tempDir('faults');
    const child = spawn(process.execPath, ['--import', 'tsx', 'worker/sandbox.ts'], {
      cwd: root,
      // The product's sandbox takes mail only with its login.
      env: { ...process.env, DRIPLINE_DATA_DIR: dataDir, SANDBOX_SMTP_PORT: String(port), SANDBOX_SMTP_LOGIN: `${login.user}:${login.pass}`, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, dataDir, exited, output: () => output };
  }

  it('injects the faults it names, and stores what it accepts in its own database, never the app database', async () => {
    const sandboxProcess = startSandboxProcess({ SANDBOX_FAULTS: 'greylist=1,reject=100%,seed=x' });
    try {
      await eventually('the sandbox to listen', () => {
        if (sandboxProcess.child.exitCode !== null) throw new Error(sandboxProcess.output());
        return sandboxProcess.output().includes('listening on');
      });
      expect(sandboxProcess.output()).toContain(`listening on 127.0.0.1:${port}; faults (SANDBOX_FAULTS): greylist=1,reject=100%,seed=x`);
      const transport = oneConnectionPerMessage(port, login);
      expect((await send(transport, 'ann@example.test')).err).toMatchObject({ response: '550 5.1.1 Mailbox unavailable' });
    } finally {
      sandboxProcess.child.kill('SIGTERM');
      expect(await sandboxProcess.exited).toBe(0);
    }
    const db = await openSandboxDatabase(readConfig({ DRIPLINE_DATA_DIR: sandboxProcess.dataDir }).sandboxDatabaseFile);
    expect(await listSandboxMessages(db)).toHaveLength(0);
    await db.destroy();

    // Greylisting alone: the retry is stored in the sandbox's database (data/sandbox.db).
    const greylisting = startSandboxProcess({ SANDBOX_FAULTS: 'greylist=1' });
    try {
      await eventually('the sandbox to listen', () => greylisting.output().includes('listening on'));
      const transport = oneConnectionPerMessage(port, login);
      expect((await send(transport)).err).toMatchObject({ responseCode: 451 });
      const retry = await send(transport);
      expect(retry.err).toBeNull();
      const stored = await openSandboxDatabase(path.join(greylisting.dataDir, 'sandbox.db'));
      expect((await listSandboxMessages(stored)).map((m) => m.messageId)).toEqual([retry.messageId]);
      await stored.destroy();
      // The sandbox stands in for an external server: it neither creates nor writes the app database.
      expect(fs.existsSync(path.join(greylisting.dataDir, 'dripline.db'))).toBe(false);
    } finally {
      greylisting.child.kill('SIGTERM');
      await greylisting.exited;
    }
  });

  it('refuses to start with a bad spec, saying which variable and what to write', async () => {
    const bad = startSandboxProcess({ SANDBOX_FAULTS: 'throttle=50,reject=5%' });
    expect(await bad.exited).not.toBe(0);
    expect(bad.output()).toContain('SANDBOX_FAULTS: "throttle=50": throttle takes messages per second above 0, like throttle=50/s');
  });
});
