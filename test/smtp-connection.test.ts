/** "Test connection" against real SMTP servers: each failure comes back as advice naming the setting to change. */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainSmtpError, testSmtpConnection } from '../server/smtp/advice';
import { startSandboxSmtp, type SandboxSmtp } from '../server/sandbox-smtp';

let smtp: SandboxSmtp;
let silent: net.Server;
let silentPort = 0;

beforeAll(async () => {
  smtp = await startSandboxSmtp({ port: 0, login: { user: 'me@gmail.test', password: 'right-app-password' }, onMessage: async () => {} });
  // Accepts TCP but never greets, like an SSL port spoken to in plain text.
  silent = net.createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await smtp?.close();
  silent?.close();
});

async function advice(profile: { host: string; port: number; secure: boolean; requireTls: boolean; user?: string; pass?: string }) {
  try {
    await testSmtpConnection(
      {
        host: profile.host,
        port: profile.port,
        secure: profile.secure,
        requireTLS: profile.requireTls,
        ignoreTLS: !profile.secure && !profile.requireTls,
        ...(profile.user ? { auth: { user: profile.user, pass: profile.pass ?? '' } } : {}),
      },
      2_000,
    );
    return 'ok';
  } catch (err) {
    return explainSmtpError(err, profile).message;
  }
}

describe('test connection', () => {
  const base = { host: '127.0.0.1', secure: false, requireTls: false };

  it('succeeds with the right login', async () => {
    expect(await advice({ ...base, port: smtp.port, user: 'me@gmail.test', pass: 'right-app-password' })).toBe('ok');
  });

  it('a wrong password points at the credentials and app passwords', async () => {
    const text = await advice({ ...base, port: smtp.port, user: 'me@gmail.test', pass: 'my-normal-password' });
    expect(text).toMatch(/refused the user or password/);
    expect(text).toMatch(/app password/);
  });

  it('a closed port points at host, port and firewall', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    expect(await advice({ ...base, port: closed })).toMatch(/Could not connect to 127\.0\.0\.1:\d+.*firewall/);
  });

  it('SSL on against a STARTTLS port says to turn SSL off and TLS on', async () => {
    // The sandbox speaks plain SMTP first, as port 587 does.
    expect(await advice({ ...base, port: smtp.port, secure: true })).toMatch(/SSL is on|TLS handshake/);
  });

  it('TLS required where the server offers no STARTTLS says so', async () => {
    expect(await advice({ ...base, port: smtp.port, requireTls: true })).toMatch(/does not offer STARTTLS/);
  });

  it('a server that never greets is a timeout with advice', async () => {
    expect(await advice({ ...base, port: silentPort })).toMatch(/never said hello|Could not connect/);
  });
});
