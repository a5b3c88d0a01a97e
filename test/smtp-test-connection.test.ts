/**
 * Test connection says "Connected" only when a send would go: against the real sandbox SMTP server,
 * which takes mail only with its login (530 to MAIL FROM without one, 535 for a wrong one), and
 * the "Dripline sandbox" preset, which makes a profile that sends, with or without a user typed in.
 */
import { randomBytes } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smtpPresets } from '../domain/smtp-presets';
import { SmtpProfileInput } from '../domain/smtp-profile';
import type { AppUser } from '../server/auth';
import { makeKeyring } from '../server/crypto';
import type { Db } from '../server/db';
import { createProfile, profileFor, type SandboxServer, testConnection, updateProfile } from '../server/profiles';
import { type SandboxSmtp, startSandboxSmtp } from '../server/sandbox-smtp';
import { sendTestEmail } from '../server/test-email';
import { installWithUsers, localSmtpPolicy } from './helpers';

let db: Db;
const keyring = makeKeyring(randomBytes(32));
const users: Record<'admin' | 'agent', AppUser> = {} as never;
const login = { user: 'dripline', password: randomBytes(16).toString('base64url') };
let smtp: SandboxSmtp;
let sandbox: SandboxServer;
const kept: { to: string; subject: string }[] = [];

beforeAll(async () => {
  smtp = await startSandboxSmtp({ port: 0, login, onMessage: async (m) => void kept.push({ to: m.envelopeTo, subject: m.subject }) });
  sandbox = { host: '127.0.0.1', port: smtp.port, login };
  const install = await installWithUsers([
    ['admin', 'admin'],
    ['agent', 'agent'],
  ]);
  db = install.db;
  Object.assign(users, install.users);
});
afterAll(async () => smtp?.close());

/** The form as the preset menu fills it (server/profiles.ts gets the same values from the API). */
function presetForm(over: Record<string, unknown> = {}) {
  const preset = smtpPresets({ SANDBOX_SMTP_HOST: sandbox.host, SANDBOX_SMTP_PORT: sandbox.port }).find((p) => p.id === 'sandbox');
  if (!preset) throw new Error('no sandbox preset');
  const { host, port, secure, requireTls } = preset;
  return SmtpProfileInput.parse({ name: 'My sandbox', host, port, secure, requireTls, fromEmail: 'agent@example.test', ...over });
}

describe('Test connection', () => {
  it('is not "Connected" where MAIL FROM needs a login the profile lacks (530), nor with a wrong one (535)', async () => {
    // No sandbox passed: the server is just some SMTP server at that address.
    const noLogin = await testConnection(db, keyring, localSmtpPolicy, users.admin, presetForm());
    expect(noLogin).toMatchObject({ ok: false, failure: 'auth' });
    expect(noLogin.message).toMatch(/takes mail only after a login \(the server answered 530\)/);
    const wrong = await testConnection(
      db,
      keyring,
      localSmtpPolicy,
      users.admin,
      presetForm({ username: 'someone', password: 'guess', allowPlainAuth: true }),
    );
    expect(wrong).toMatchObject({ ok: false, failure: 'auth' });
    expect(wrong.message).toMatch(/refused the user or password \(the server answered 535\)/);
    expect(kept).toEqual([]);
  });

  it('is "Connected" with the right login, naming the sender the server takes', async () => {
    const right = presetForm({ username: login.user, password: login.password, allowPlainAuth: true });
    const answer = await testConnection(db, keyring, localSmtpPolicy, users.admin, right);
    expect(answer).toEqual({
      ok: true,
      message: `Connected to 127.0.0.1:${smtp.port} and logged in as dripline; the server takes mail from agent@example.test.`,
    });
    expect(kept).toEqual([]);
  });

  it('does not say "logged in" where the server offers no login (a send makes none either)', async () => {
    const relay = new SMTPServer({ authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, disableReverseLookup: true });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    try {
      const port = (relay.server.address() as { port: number }).port;
      const form = presetForm({ port, username: 'me', password: 'pw', allowPlainAuth: true });
      expect(await testConnection(db, keyring, localSmtpPolicy, users.admin, form)).toEqual({
        ok: true,
        message: `Connected to 127.0.0.1:${port} (it offers no login, so User and Password go unused); the server takes mail from agent@example.test.`,
      });
    } finally {
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  });
});

describe('the "Dripline sandbox" preset', () => {
  it("points at this install's sandbox and says truthfully what User and Password do", () => {
    const preset = smtpPresets({ SANDBOX_SMTP_HOST: 'sandbox-smtp', SANDBOX_SMTP_PORT: 2626 }).find((p) => p.id === 'sandbox');
    expect(preset).toMatchObject({ host: 'sandbox-smtp', port: 2626, secure: false, requireTls: false });
    expect(preset?.hints.join(' ')).toMatch(/Leave User and Password empty: Dripline then logs in to it with the sandbox’s own login/);
  });

  it('makes a profile an agent can test, save and send a test email with, as the preset fills it in', async () => {
    const form = presetForm();
    const answer = await testConnection(db, keyring, localSmtpPolicy, users.agent, form, undefined, sandbox);
    expect(answer).toMatchObject({ ok: true, message: expect.stringMatching(/^Connected .* logged in as dripline/) });
    const { id } = await createProfile(db, keyring, users.agent, form, sandbox);
    const stored = await profileFor(db, users.agent, id);
    expect(stored).toMatchObject({ username: 'dripline', allowPlainAuth: true });
    const to = `ann+${kept.length}@example.test`;
    const sent = await sendTestEmail(db, keyring, localSmtpPolicy, randomBytes(32), users.agent, id, to);
    expect(sent).toMatchObject({ ok: true });
    expect(kept.at(-1)).toMatchObject({ to, subject: 'Dripline test email from "My sandbox"' });
    // Saved again as the form now shows it (the sandbox's user, the password kept): still tests Connected.
    const again = presetForm({ username: 'dripline', allowPlainAuth: true });
    await updateProfile(db, keyring, users.agent, id, again, sandbox);
    expect(await testConnection(db, keyring, localSmtpPolicy, users.agent, again, id, sandbox)).toMatchObject({ ok: true });
  });

  it('uses a user typed in as typed: the sandbox refuses any login but its own, and Test connection says so', async () => {
    const typed = presetForm({ username: 'whoever', password: 'anything', allowPlainAuth: true });
    expect(await testConnection(db, keyring, localSmtpPolicy, users.admin, typed, undefined, sandbox)).toMatchObject({ ok: false, failure: 'auth' });
  });

  it("never gives the sandbox's login to another server, nor lets an agent keep login without TLS there", async () => {
    const { id } = await createProfile(db, keyring, users.agent, presetForm(), sandbox);
    // The form as saved comes back with login without TLS on (the sandbox's); on another server it is an admin's to allow.
    await expect(
      updateProfile(db, keyring, users.agent, id, presetForm({ host: 'smtp.example.test', allowPlainAuth: true, username: 'dripline' }), sandbox),
    ).rejects.toMatchObject({ status: 403, details: { field: 'allowPlainAuth' } });
    const moved = await updateProfile(db, keyring, users.agent, id, presetForm({ host: 'smtp.example.test', username: 'dripline' }), sandbox);
    expect(moved.passwordCleared).toBe(true);
    expect(await profileFor(db, users.agent, id)).toMatchObject({ passwordEnc: '', allowPlainAuth: false });
  });
});
