/**
 * The sign-in limits, through better-auth's own request handler (the one the web app's
 * /api/auth/[...all] route hands every request to) on a real install on each database (SQLite and PostgreSQL). The client is the IP
 * the web front resolved, which it passes as X-Dripline-Client-IP (scripts/web-server.ts); here each
 * request names one. The windows come from the configuration, so they are checked at chosen instants.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, SIGN_IN_ATTEMPTS_PER_WINDOW } from '../server/auth';
import { readConfig } from '../server/config';
import { accountFailures, lockedUntil, recordSignInFailure } from '../server/db/sign-in-failures';
import { CLIENT_IP_HEADER, signInDelayMs, signInLockout } from '../server/sign-in-lockout';
import { databases, tempInstallOn } from './databases';
import { installUsers } from './helpers';

describe('sign-in limit settings', () => {
  it('keep the production windows when unset', () => {
    const config = readConfig({ DRIPLINE_DATA_DIR: '/tmp/unused' });
    expect(config.DRIPLINE_SIGN_IN_RATE_WINDOW_SECONDS).toBe(10);
    expect(signInLockout(config)).toMatchObject({ maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 });
  });

  it('refuse a window that is not a whole number of seconds, naming the variable', () => {
    expect(() => readConfig({ DRIPLINE_SIGN_IN_LOCKOUT_SECONDS: '0' })).toThrow(/DRIPLINE_SIGN_IN_LOCKOUT_SECONDS/);
    expect(() => readConfig({ DRIPLINE_SIGN_IN_RATE_WINDOW_SECONDS: 'soon' })).toThrow(/DRIPLINE_SIGN_IN_RATE_WINDOW_SECONDS/);
  });

  it("delay an account's sign-ins after 5 failures from all clients, growing per failure up to a cap, never refusing", () => {
    const policy = signInLockout(readConfig({ DRIPLINE_DATA_DIR: '/tmp/unused' }));
    expect([0, 4, 5, 6, 7, 100].map((n) => signInDelayMs(policy, n))).toEqual([0, 0, 250, 500, 750, 3000]);
  });
});

describe.each(databases)('an install with a 2-second per-IP window and a 3-second lockout, on %s', (dialect) => {
  let install: Awaited<ReturnType<typeof tempInstallOn>>;
  beforeAll(async () => {
    install = await tempInstallOn(dialect, { DRIPLINE_SIGN_IN_RATE_WINDOW_SECONDS: '2', DRIPLINE_SIGN_IN_LOCKOUT_SECONDS: '3' });
  });
  afterAll(async () => {
    await install?.db.destroy();
  });

  it("gives better-auth's per-IP sign-in limit that window", () => {
    const rules = createAuth(install.db, install.config).options.rateLimit?.customRules;
    expect(rules?.['/sign-in/*']).toEqual({ window: 2, max: SIGN_IN_ATTEMPTS_PER_WINDOW });
  });

  it('locks an email and client after 5 failures within the window, for the window, then lets sign-ins through again', async () => {
    const policy = signInLockout(install.config);
    const t0 = 1_000_000;
    for (let i = 0; i < 4; i++) await recordSignInFailure(install.db, 'ada@x.test', '198.51.100.1', t0 + i, policy);
    expect(await lockedUntil(install.db, 'ada@x.test', '198.51.100.1', t0 + 10)).toBeUndefined();
    expect(await recordSignInFailure(install.db, 'ada@x.test', '198.51.100.1', t0 + 10, policy)).toBe(t0 + 10 + 3000);
    expect(await lockedUntil(install.db, 'ada@x.test', '198.51.100.1', t0 + 20)).toBe(t0 + 3010);
    expect(await lockedUntil(install.db, 'ada@x.test', '198.51.100.2', t0 + 20)).toBeUndefined();
    expect(await lockedUntil(install.db, 'ada@x.test', '198.51.100.1', t0 + 10 + 3000)).toBeUndefined();
  });

  it('counts failures of one email and client that come at once, each of them', async () => {
    const policy = signInLockout(install.config);
    const t0 = 9_000_000;
    await Promise.all(Array.from({ length: 5 }, (_, i) => recordSignInFailure(install.db, 'many@x.test', '198.51.100.9', t0 + i, policy)));
    expect(await lockedUntil(install.db, 'many@x.test', '198.51.100.9', t0 + 10)).toBeDefined();
  });

  it("starts counting again once the window has passed, and counts the account's failures within it only", async () => {
    const policy = signInLockout(install.config);
    const t0 = 5_000_000;
    for (let i = 0; i < 4; i++) await recordSignInFailure(install.db, 'grace@x.test', '198.51.100.1', t0 + i, policy);
    await recordSignInFailure(install.db, 'grace@x.test', '198.51.100.2', t0 + 10, policy);
    expect(await accountFailures(install.db, 'grace@x.test', t0 - 1)).toBe(5);
    expect(await recordSignInFailure(install.db, 'grace@x.test', '198.51.100.1', t0 + 3000, policy)).toBeUndefined();
    expect(await accountFailures(install.db, 'grace@x.test', t0 + 5)).toBe(2);
  });
});

describe.each(databases)("sign-in through better-auth's handler, on %s", (dialect) => {
  let install: Awaited<ReturnType<typeof tempInstallOn>>;
  let auth: ReturnType<typeof createAuth>;
  const password = 'long-password-1';
  beforeAll(async () => {
    install = await tempInstallOn(dialect, { DRIPLINE_SIGN_IN_LOCKOUT_SECONDS: '600' });
    await installUsers(install, [
      ['locked', 'agent'],
      ['many', 'agent'],
      ['bom', 'agent'],
      ['token', 'agent'],
    ] as const);
    auth = createAuth(install.db, install.config);
  });
  afterAll(async () => {
    await install?.db.destroy();
  });

  /** A sign-in as the web front hands it on: from `client`, with this exact body. */
  async function signIn(client: string, body: string | Blob) {
    const origin = new URL(install.config.DRIPLINE_PUBLIC_URL).origin;
    const res = await auth.handler(
      new Request(`${origin}/api/auth/sign-in/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin, [CLIENT_IP_HEADER]: client },
        body,
      }),
    );
    const text = await res.text();
    return { status: res.status, text, retryAfter: res.headers.get('retry-after'), cookie: res.headers.get('set-cookie') ?? '' };
  }
  const json = (email: string, pass: string) => JSON.stringify({ email, password: pass });

  it('locks an account from one client only: the right password still signs in from another client', async () => {
    for (let i = 0; i < 5; i++) expect((await signIn('203.0.113.7', json('locked@x.test', `wrong-password-${i}`))).status).toBe(401);
    const here = await signIn('203.0.113.7', json('locked@x.test', password));
    expect(here.status).toBe(429);
    expect(here.text).toMatch(/account_locked/);
    expect(Number(here.retryAfter)).toBeGreaterThan(60);
    const elsewhere = await signIn('203.0.113.8', json('LOCKED@x.test', password));
    expect(elsewhere.status, elsewhere.text).toBe(200);
    expect(elsewhere.cookie).toMatch(/session_token=/);
  });

  it('never refuses the right password from a fresh client, however many clients failed before', async () => {
    for (let i = 0; i < 8; i++) {
      const answer = await signIn(`198.18.0.${i + 1}`, json('many@x.test', 'not-the-password'));
      expect(answer.status, answer.text).toBe(401);
    }
    expect(await accountFailures(install.db, 'many@x.test', 0)).toBe(8);
    const fresh = await signIn('198.18.1.1', json('many@x.test', password));
    expect(fresh.status, fresh.text).toBe(200);
  });

  it('counts a sign-in whose JSON starts with a byte-order mark, and refuses one whose email it cannot read', async () => {
    const bom = (text: string) => new Blob([new Uint8Array([0xef, 0xbb, 0xbf]), text]);
    for (let i = 0; i < 7; i++) {
      const answer = await signIn('192.0.2.9', bom(json('bom@x.test', `wrong-password-${i}`)));
      expect(answer.status, answer.text).toBe(i < 5 ? 401 : 429);
    }
    expect((await signIn('192.0.2.9', bom(json('bom@x.test', password)))).status).toBe(429);
    expect((await signIn('192.0.2.9', json('bom@x.test', password))).status).toBe(429);
    for (const body of ['{"email":5,"password":"x"}', '{"password":"long-password-1"}', '[]', 'null']) {
      const answer = await signIn('192.0.2.10', body);
      expect(answer.status, body).toBe(400);
      expect(answer.cookie, body).toBe('');
    }
  });

  it('answers a sign-in with the session in its cookie, not its token in the JSON', async () => {
    const answer = await signIn('192.0.2.20', json('token@x.test', password));
    expect(answer.status, answer.text).toBe(200);
    const token = /session_token=([^.;]+)/.exec(answer.cookie)?.[1];
    expect(token).toBeTruthy();
    expect(JSON.parse(answer.text)).toMatchObject({ user: { email: 'token@x.test' } });
    expect(JSON.parse(answer.text)).not.toHaveProperty('token');
    expect(answer.text).not.toContain(token);
    // Nor does get-session repeat it.
    const origin = new URL(install.config.DRIPLINE_PUBLIC_URL).origin;
    const cookie = answer.cookie.split(';')[0] ?? '';
    const session = await auth.handler(new Request(`${origin}/api/auth/get-session`, { headers: { cookie } }));
    const sessionText = await session.text();
    expect(session.status).toBe(200);
    expect(JSON.parse(sessionText)).toMatchObject({ user: { email: 'token@x.test' }, session: { userId: expect.any(String) } });
    expect(sessionText).not.toContain(token);
    expect(JSON.parse(sessionText).session).not.toHaveProperty('token');
  });
});
