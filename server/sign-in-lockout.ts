/**
 * The per-account lockout: 5 failed sign-ins to one email within DRIPLINE_SIGN_IN_LOCKOUT_SECONDS
 * (15 minutes unless configured) lock it for as long, whatever address they come from (the per-IP rate limit is better-auth's). Any email counts, known
 * or not, so the answer never tells whether an account exists.
 */
import type { Config } from './config';
import type { Db } from './db';
import { clearSignInFailures, type LockoutPolicy, lockedUntil, recordSignInFailure } from './db/sign-in-failures';
import { UserError } from './errors';

export function signInLockout(config: Pick<Config, 'DRIPLINE_SIGN_IN_LOCKOUT_SECONDS'>): LockoutPolicy {
  const ms = config.DRIPLINE_SIGN_IN_LOCKOUT_SECONDS * 1000;
  return { maxFailures: 5, windowMs: ms, lockMs: ms };
}

const key = (email: string) => email.trim().toLowerCase();

const lockedError = (until: number, nowMs: number) => {
  const retryAfterSeconds = Math.max(1, Math.ceil((until - nowMs) / 1000));
  return new UserError(
    429,
    'account_locked',
    `too many failed sign-ins for this account; it is locked for ${retryAfterSeconds < 120 ? `${retryAfterSeconds} s` : `${Math.ceil(retryAfterSeconds / 60)} min`} (try again later, or ask an admin to reset the password)`,
    { retryAfterSeconds },
  );
};

/** Throws a 429 UserError while the account is locked. */
export async function checkSignInAllowed(db: Db, email: string, nowMs = Date.now()): Promise<void> {
  const until = await lockedUntil(db, key(email), nowMs);
  if (until !== undefined) throw lockedError(until, nowMs);
}

/** After better-auth answered a sign-in: a refused password counts, a success clears the count. */
export async function noteSignInOutcome(db: Db, policy: LockoutPolicy, email: string, succeeded: boolean, nowMs = Date.now()): Promise<void> {
  if (succeeded) await clearSignInFailures(db, key(email));
  else await recordSignInFailure(db, key(email), nowMs, policy);
}
