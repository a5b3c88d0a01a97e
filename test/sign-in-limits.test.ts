/**
 * The sign-in limits' windows come from the configuration (production defaults: 3 attempts per IP in
 * 10 s, 5 failures locking an account for 15 minutes), so tests set short ones instead of sleeping
 * them out. The lockout is checked here at chosen instants; the end-to-end sign-in tests
 * (test/e2e/security/web.test.ts) run the product with a 2-second per-IP window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, SIGN_IN_ATTEMPTS_PER_WINDOW } from '../server/auth';
import { readConfig } from '../server/config';
import { UserError } from '../server/errors';
import { checkSignInAllowed, noteSignInOutcome, signInLockout } from '../server/sign-in-lockout';
import { databases, tempInstallOn } from './databases';

describe('sign-in limit settings', () => {
  it('keep the production windows when unset', () => {
    const config = readConfig({ DRIPLINE_DATA_DIR: '/tmp/unused' });
    expect(config.DRIPLINE_SIGN_IN_RATE_WINDOW_SECONDS).toBe(10);
    expect(signInLockout(config)).toEqual({ maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 });
  });

  it('refuse a window that is not a whole number of seconds, naming the variable', () => {
    expect(() => readConfig({ DRIPLINE_SIGN_IN_LOCKOUT_SECONDS: '0' })).toThrow(/DRIPLINE_SIGN_IN_LOCKOUT_SECONDS/);
    expect(() => readConfig({ DRIPLINE_SIGN_IN_RATE_WINDOW_SECONDS: 'soon' })).toThrow(/DRIPLINE_SIGN_IN_RATE_WINDOW_SECONDS/);
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

  const refusal = (email: string, nowMs: number) =>
    checkSignInAllowed(install.db, email, nowMs).then(
      () => undefined,
      (err: unknown) => err,
    );

  it('locks after 5 failures within the window, for the window, then lets sign-ins through again', async () => {
    const policy = signInLockout(install.config);
    const t0 = 1_000_000;
    for (let i = 0; i < 4; i++) await noteSignInOutcome(install.db, policy, 'Ada@x.test', false, t0 + i);
    expect(await refusal('ada@x.test', t0 + 10)).toBeUndefined();
    await noteSignInOutcome(install.db, policy, 'ada@x.test', false, t0 + 10);
    const locked = await refusal('ada@x.test', t0 + 20);
    expect(locked).toBeInstanceOf(UserError);
    expect((locked as UserError).status).toBe(429);
    expect((locked as UserError).message).toMatch(/locked for 3 s/);
    expect(await refusal('ada@x.test', t0 + 10 + 3000)).toBeUndefined();
  });

  it('counts failures that come at once, each of them', async () => {
    const policy = signInLockout(install.config);
    const t0 = 9_000_000;
    await Promise.all(Array.from({ length: 5 }, (_, i) => noteSignInOutcome(install.db, policy, 'many@x.test', false, t0 + i)));
    expect(await refusal('many@x.test', t0 + 10)).toBeInstanceOf(UserError);
  });

  it('starts counting again once the window has passed', async () => {
    const policy = signInLockout(install.config);
    const t0 = 5_000_000;
    for (let i = 0; i < 4; i++) await noteSignInOutcome(install.db, policy, 'grace@x.test', false, t0 + i);
    await noteSignInOutcome(install.db, policy, 'grace@x.test', false, t0 + 3000);
    expect(await refusal('grace@x.test', t0 + 3001)).toBeUndefined();
  });
});
