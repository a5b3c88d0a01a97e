/**
 * What the bundled stack exposes: docker-compose publishes only the web app on every interface, and the
 * sandbox SMTP server takes mail only with its login, and only up to its size limit.
 */
import { execFileSync } from 'node:child_process';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readConfig } from '../../server/config';
import { type SandboxSmtp, startSandboxSmtp } from '../../server/sandbox-smtp';
import { sandboxSmtpLogin } from '../../server/secrets';
import { root } from '../helpers';

describe('docker-compose.yml', () => {
  const compose = parse(execFileSync('docker-compose', ['config'], { cwd: root, encoding: 'utf8' })) as {
    services: Record<string, { ports?: (string | { host_ip?: string; published?: number | string })[] }>;
  };

  it('publishes Temporal, its UI and nothing else but the web app beyond this machine', () => {
    const exposed: string[] = [];
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? []) {
        const loopback = typeof port === 'string' ? port.startsWith('127.0.0.1:') : port.host_ip === '127.0.0.1';
        if (!loopback) exposed.push(`${name} ${JSON.stringify(port)}`);
      }
    }
    expect(exposed.map((e) => e.split(' ')[0])).toEqual(['web']);
    // Temporal's gRPC port; its Web UI only through the guard (admins only, read-only).
    expect(compose.services.temporal?.ports?.length).toBe(1);
    expect(compose.services['temporal-ui']?.ports?.length).toBe(1);
    expect(compose.services['sandbox-smtp']?.ports ?? []).toEqual([]);
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
