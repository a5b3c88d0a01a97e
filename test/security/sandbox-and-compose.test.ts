/**
 * What the production stack exposes: docker-compose publishes only the web app on every interface, and the
 * sandbox SMTP server takes mail only with its login, and only up to its size limit.
 */
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../server/config';
import { type SandboxSmtp, startSandboxSmtp } from '../../server/sandbox-smtp';
import { sandboxSmtpLogin } from '../../server/secrets';
import { composeConfig } from '../compose';

describe('docker-compose.yml', () => {
  const { services } = composeConfig();

  it('publishes the web app alone beyond this machine; Temporal and its UI guard on loopback; nothing else', () => {
    const exposed: string[] = [];
    for (const [name, service] of Object.entries(services)) {
      for (const port of service.ports ?? []) {
        const loopback = typeof port === 'string' ? port.startsWith('127.0.0.1:') : port.host_ip === '127.0.0.1';
        if (!loopback) exposed.push(name);
      }
    }
    expect(exposed).toEqual(['web']);
    // Temporal's gRPC port; its Web UI only through the guard (admins only, read-only).
    expect(services.temporal?.ports?.length).toBe(1);
    expect(services['temporal-ui']?.ports?.length).toBe(1);
    const published = Object.entries(services)
      .filter(([, s]) => (s.ports ?? []).length > 0)
      .map(([name]) => name)
      .sort();
    expect(published).toEqual(['temporal', 'temporal-ui', 'web']);
  });

  it("keeps PostgreSQL, the workers' /metrics, the Temporal UI server and the sandbox on the compose network", () => {
    for (const name of ['postgres', 'worker', 'temporal-ui-server', 'sandbox-smtp']) expect(services[name]?.ports ?? [], name).toEqual([]);
    expect(services.worker?.expose).toEqual(['9464']);
    expect(services['sandbox-smtp']?.expose).toEqual(['2525']);
  });
});

describe('the sandbox SMTP server', () => {
  const login = { user: 'sandbox-user', password: 'sandbox-password' };
  let smtp: SandboxSmtp;
  const kept: string[] = [];
  beforeAll(async () => {
    smtp = await startSandboxSmtp({ port: 0, login, maxMessageBytes: 64 * 1024, onMessage: async (m) => void kept.push(m.subject) });
  });
  afterAll(async () => smtp?.close());

  const send = (auth: { user: string; pass: string } | undefined, text = 'hi') => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true, ...(auth ? { auth } : {}) });
    return transport.sendMail({ from: 'a@example.test', to: 'b@example.test', subject: text.slice(0, 20), text }).finally(() => transport.close());
  };

  it('refuses mail without its login, and with a wrong one', async () => {
    await expect(send(undefined, 'no login')).rejects.toMatchObject({ responseCode: 530 });
    await expect(send({ user: login.user, pass: 'guess' }, 'wrong login')).rejects.toMatchObject({ responseCode: 535 });
    expect(kept).toEqual([]);
    await send({ user: login.user, pass: login.password }, 'with login');
    expect(kept).toEqual(['with login']);
  });

  it('refuses a message over its size limit', async () => {
    await expect(send({ user: login.user, pass: login.password }, 'x'.repeat(200 * 1024))).rejects.toMatchObject({ responseCode: 552 });
    expect(kept).not.toContain('x'.repeat(20));
  });

  it('has a login on every install: SANDBOX_SMTP_LOGIN, or one derived from the secret key', () => {
    const dir = `/tmp/dripline-sandbox-login-${process.pid}`;
    const derived = sandboxSmtpLogin(readConfig({ DRIPLINE_DATA_DIR: dir }));
    expect(derived.password.length).toBeGreaterThanOrEqual(32);
    expect(sandboxSmtpLogin(readConfig({ DRIPLINE_DATA_DIR: dir }))).toEqual(derived);
    expect(sandboxSmtpLogin(readConfig({ DRIPLINE_DATA_DIR: dir, SANDBOX_SMTP_LOGIN: 'u:p' }))).toEqual({ user: 'u', password: 'p' });
    expect(readConfig({ DRIPLINE_DATA_DIR: dir }).SANDBOX_SMTP_MAX_MB).toBe(10);
  });
});
