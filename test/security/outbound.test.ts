/**
 * The outbound guard and TLS by default, against real listeners on 127.0.0.1: a fake SSH service, SMTP
 * servers with and without STARTTLS. Test connection must not reach internal addresses, must not echo
 * what another service says, and a login must never cross the network in clear unless an admin allowed it.
 */
import net from 'node:net';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../server/config';
import { explainSmtpError, testSmtpConnection } from '../../server/smtp/advice';
import { parseAllowedTarget } from '../../server/smtp/allow-list';
import { classifySmtpError } from '../../server/smtp/classify';
import { checkedAddresses, type OutboundPolicy, smtpOutboundPolicy } from '../../server/smtp/outbound';
import { type SmtpServerSettings, transportOptions } from '../../server/smtp/transport';
import { threadedTransports } from '../../server/smtp/send-thread';
import type { StoredSmtpProfile } from '../../server/db/smtp-profiles';

const listening = async (server: net.Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
};

/** A service that is not SMTP: it greets like OpenSSH, and counts who connects. */
let ssh: net.Server;
let sshPort = 0;
let sshConnections = 0;
const BANNER = 'SSH-2.0-OpenSSH_9.6p1 Debian-4';

/** SMTP without STARTTLS that accepts any login, and records the logins it saw. */
let plain: SMTPServer;
let plainPort = 0;
const loginsSeen: string[] = [];

/** SMTP offering STARTTLS with smtp-server's bundled self-signed certificate. */
let tlsServer: SMTPServer;
let tlsPort = 0;
let plainMessagesOnTls = 0;

beforeAll(async () => {
  ssh = net.createServer((socket) => {
    sshConnections++;
    socket.write(`${BANNER}\r\n`);
    socket.on('error', () => {});
  });
  sshPort = await listening(ssh);
  plain = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onAuth(auth, _session, callback) {
      loginsSeen.push(`${auth.username}:${auth.password}`);
      callback(null, { user: auth.username });
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => callback());
    },
  });
  plainPort = await listening(plain.server);
  tlsServer = new SMTPServer({
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    onData(stream, session, callback) {
      if (!session.secure) plainMessagesOnTls++;
      stream.resume();
      stream.on('end', () => callback());
    },
  });
  tlsPort = await listening(tlsServer.server);
});

afterAll(async () => {
  ssh?.close();
  await new Promise<void>((resolve) => (plain ? plain.close(() => resolve()) : resolve()));
  await new Promise<void>((resolve) => (tlsServer ? tlsServer.close(() => resolve()) : resolve()));
});

/** The product's policy on a default install: the sandbox (127.0.0.1:2525) allowed, nothing else internal. */
const productPolicy = smtpOutboundPolicy(readConfig({ DRIPLINE_DATA_DIR: '/tmp/unused' }));
const allowLocal: OutboundPolicy = { allowed: [parseAllowedTarget('127.0.0.1:*')] };

const settings = (port: number, over: Partial<SmtpServerSettings> = {}): SmtpServerSettings => ({
  host: '127.0.0.1',
  port,
  secure: false,
  requireTls: false,
  allowPlainAuth: false,
  username: '',
  maxConnections: 1,
  ...over,
});

/** Test connection as the API runs it: the product's transport options, then advice for a failure. */
async function testConnection(profile: SmtpServerSettings, policy: OutboundPolicy, password = '') {
  try {
    await testSmtpConnection(transportOptions(profile, password, policy), 3_000);
    return { ok: true as const, failure: undefined, message: 'connected' };
  } catch (err) {
    return { ok: false as const, ...explainSmtpError(err, profile) };
  }
}

describe('the outbound guard', () => {
  it('refuses an internal service without connecting to it, and never shows its banner', async () => {
    const before = sshConnections;
    const answer = await testConnection(settings(sshPort), productPolicy);
    expect(answer).toMatchObject({ ok: false, failure: 'blocked' });
    expect(answer.message).toMatch(/loopback/);
    expect(answer.message).toMatch(/DRIPLINE_SMTP_ALLOWED_HOSTS/);
    expect(answer.message).not.toMatch(/SSH|OpenSSH/);
    expect(sshConnections, 'the guard answered before connecting').toBe(before);
  });

  it('names the class of failure, not the banner, when an allowed address is not an SMTP server', async () => {
    const answer = await testConnection(settings(sshPort), allowLocal);
    expect(answer).toMatchObject({ ok: false, failure: 'not-smtp' });
    expect(answer.message).not.toMatch(/SSH|OpenSSH|Debian/);
    expect(answer.message).toMatch(/never said hello/);
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['localhost', 'loopback'],
    ['2130706433', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.0.10', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['169.254.169.254', 'linkLocal'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['[::ffff:169.254.169.254]', 'linkLocal'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['ff02::1', 'multicast'],
    ['64:ff9b::a9fe:a9fe', 'rfc6052'],
  ])('refuses %s (%s)', async (host, range) => {
    await expect(checkedAddresses(productPolicy, host, 25)).rejects.toMatchObject({ code: 'EOUTBOUND', range });
  });

  it('lets public addresses, the sandbox and allow-listed relays through', async () => {
    expect(await checkedAddresses(productPolicy, '8.8.8.8', 587)).toEqual(['8.8.8.8']);
    expect(await checkedAddresses(productPolicy, '2606:4700:4700::1111', 587)).toEqual(['2606:4700:4700::1111']);
    // The sandbox is allowed on its own port only.
    expect(await checkedAddresses(productPolicy, '127.0.0.1', 2525)).toEqual(['127.0.0.1']);
    await expect(checkedAddresses(productPolicy, '127.0.0.1', 22)).rejects.toMatchObject({ code: 'EOUTBOUND' });
    const config = readConfig({ DRIPLINE_DATA_DIR: '/tmp/unused', DRIPLINE_SMTP_ALLOWED_HOSTS: 'relay.corp.test:25, 10.0.0.0/8, [fd00::25]:2525' });
    const admins = { ...smtpOutboundPolicy(config), lookup: async () => ['192.168.7.7'] };
    expect(await checkedAddresses(admins, 'relay.corp.test', 25)).toEqual(['192.168.7.7']);
    await expect(checkedAddresses(admins, 'relay.corp.test', 587)).rejects.toMatchObject({ code: 'EOUTBOUND' });
    expect(await checkedAddresses(admins, '10.9.9.9', 587)).toEqual(['10.9.9.9']);
    // An entry without a port allows the SMTP ports only, not the network's other services.
    for (const port of [25, 465, 2525]) expect(await checkedAddresses(admins, '10.9.9.9', port)).toEqual(['10.9.9.9']);
    for (const port of [22, 80, 6379, 5432]) {
      await expect(checkedAddresses(admins, '10.9.9.9', port), `port ${port}`).rejects.toMatchObject({ code: 'EOUTBOUND' });
    }
    // `:*` allows every port, on purpose.
    const everyPort = {
      ...smtpOutboundPolicy(readConfig({ DRIPLINE_DATA_DIR: '/tmp/unused', DRIPLINE_SMTP_ALLOWED_HOSTS: '10.0.0.5:*, [fd00::26]:*' })),
    };
    expect(await checkedAddresses(everyPort, '10.0.0.5', 6379)).toEqual(['10.0.0.5']);
    expect(await checkedAddresses(everyPort, '[fd00::26]', 8025)).toEqual(['fd00::26']);
    await expect(checkedAddresses(everyPort, '10.0.0.6', 25)).rejects.toMatchObject({ code: 'EOUTBOUND' });
    expect(await checkedAddresses(admins, '[fd00::25]', 2525)).toEqual(['fd00::25']);
    await expect(checkedAddresses(admins, '172.16.0.1', 25)).rejects.toMatchObject({ code: 'EOUTBOUND' });
  });

  it('refuses a name when any of its addresses is internal (a round-robin cannot slip one in)', async () => {
    const policy = { ...productPolicy, lookup: async () => ['93.184.215.14', '127.0.0.1'] };
    await expect(checkedAddresses(policy, 'mixed.example.test', 25)).rejects.toMatchObject({ code: 'EOUTBOUND', range: 'loopback' });
  });

  it('connects to the address it checked: the name is resolved once, by the guard, never again by nodemailer', async () => {
    let lookups = 0;
    // A name no DNS knows: only the guard's answer can take the connection anywhere.
    const rebinding: OutboundPolicy = {
      allowed: [parseAllowedTarget('127.0.0.1:*')],
      lookup: async () => {
        lookups++;
        return lookups === 1 ? ['127.0.0.1'] : ['169.254.169.254'];
      },
    };
    const answer = await testConnection(settings(plainPort, { host: 'smtp.rebind.test' }), rebinding);
    expect(answer).toMatchObject({ ok: true });
    expect(lookups).toBe(1);
    // The same lookup answering an internal address the next time is refused, not followed.
    const second = await testConnection(settings(plainPort, { host: 'smtp.rebind.test' }), rebinding);
    expect(second).toMatchObject({ ok: false, failure: 'blocked' });
  });

  it('guards every real send too: the pooled transport refuses, and the outcome pauses the profile', async () => {
    const pool = threadedTransports(() => '', productPolicy);
    const profile = { ...settings(plainPort), id: 'p1', updatedAt: 'v1', passwordEnc: '' } as StoredSmtpProfile;
    const err = await pool
      .get(profile)
      .sendMail({ from: 'a@example.test', to: 'b@example.test', subject: 'x', text: 'x' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    pool.close();
    expect(err).toMatchObject({ code: 'EOUTBOUND' });
    expect(classifySmtpError(err)).toMatchObject({ kind: 'configuration', unknown: false });
  });
});

describe('TLS by default', () => {
  it('uses STARTTLS when the server offers it, and checks the certificate (a self-signed one fails)', async () => {
    const answer = await testConnection(settings(tlsPort), allowLocal);
    expect(answer).toMatchObject({ ok: false, failure: 'tls' });
    expect(answer.message).toMatch(/certificate/);
    // A send goes the same way: never in plain text past an offered STARTTLS.
    const transport = nodemailer.createTransport({ ...transportOptions(settings(tlsPort), '', allowLocal), pool: false });
    await expect(transport.sendMail({ from: 'a@example.test', to: 'b@example.test', subject: 'x', text: 'x' })).rejects.toMatchObject({
      code: expect.stringMatching(/ETLS|ESOCKET/),
    });
    transport.close();
    expect(plainMessagesOnTls).toBe(0);
  });

  it('never logs in over plain text unless the profile allows it', async () => {
    const refused = await testConnection(settings(plainPort, { username: 'me' }), allowLocal, 'pw-in-clear');
    expect(refused).toMatchObject({ ok: false, failure: 'plain-auth' });
    expect(refused.message).toMatch(/admin can allow login without TLS/);
    expect(loginsSeen).toEqual([]);
    const allowed = await testConnection(settings(plainPort, { username: 'me', allowPlainAuth: true }), allowLocal, 'pw-in-clear');
    expect(allowed).toMatchObject({ ok: true });
    expect(loginsSeen).toEqual(['me:pw-in-clear']);
  });

  it('sets no option that turns certificate checks off or ignores STARTTLS', () => {
    const options = transportOptions(settings(587, { host: 'smtp.example.com', username: 'u' }), 'p', productPolicy);
    expect(options.ignoreTLS).toBeUndefined();
    expect(options.tls?.rejectUnauthorized).toBe(true);
    expect(options.requireTLS).toBe(true);
  });
});
