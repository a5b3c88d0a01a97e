/**
 * The sign-in lockout, as a better-auth plugin, so it reads the very body better-auth parsed (one
 * parse: no byte sequence can hide the email from it while better-auth still checks the password).
 *
 * - An email and a client IP together: 5 failures within DRIPLINE_SIGN_IN_LOCKOUT_SECONDS (15 minutes
 *   unless configured) lock that pair for as long (429). The right password from another client still
 *   signs in, so nobody can lock someone else out (as django-axes' username+IP lockout, Auth0's
 *   brute-force protection).
 * - An email from every client: after 5 failures within the window, each attempt waits before its
 *   password is checked, 250 ms more per failure up to 3 s. A delay, never a refusal.
 *
 * Any email counts, known or not, so the answer never tells whether an account exists. The client is
 * the IP the web front resolved (scripts/web-server.ts: the peer, or X-Forwarded-For of a trusted
 * proxy only), passed on as X-Dripline-Client-IP. The counts are in the database, shared by every web
 * instance. The per-IP rate limit on sign-ins is better-auth's own (server/auth.ts).
 *
 * The same plugin keeps the session token out of JSON answers (sign-in, get-session): it is the
 * HttpOnly cookie's value, which page scripts must not be able to read.
 */
import type { BetterAuthPlugin } from 'better-auth';
import { APIError, createAuthMiddleware } from 'better-auth/api';
import type { Config } from './config';
import type { Db } from './db';
import { accountFailures, clearSignInFailures, type LockoutPolicy, lockedUntil, recordSignInFailure } from './db/sign-in-failures';

export function signInLockout(config: Pick<Config, 'DRIPLINE_SIGN_IN_LOCKOUT_SECONDS'>): LockoutPolicy {
  const ms = config.DRIPLINE_SIGN_IN_LOCKOUT_SECONDS * 1000;
  return { maxFailures: 5, windowMs: ms, lockMs: ms, delayAfter: 5, delayStepMs: 250, maxDelayMs: 3000 };
}

/** The header the web front sets to the client's IP; better-auth's own per-IP limit reads it too. */
export const CLIENT_IP_HEADER = 'x-dripline-client-ip';

const emailKey = (email: string) => email.trim().toLowerCase();

/** How long a sign-in to an account with this many recent failures (from all clients) waits first. */
export const signInDelayMs = (policy: LockoutPolicy, failures: number) =>
  failures < policy.delayAfter ? 0 : Math.min(policy.maxDelayMs, (failures - policy.delayAfter + 1) * policy.delayStepMs);

const lockedError = (until: number, nowMs: number) => {
  const retryAfterSeconds = Math.max(1, Math.ceil((until - nowMs) / 1000));
  const wait = retryAfterSeconds < 120 ? `${retryAfterSeconds} s` : `${Math.ceil(retryAfterSeconds / 60)} min`;
  return new APIError(
    'TOO_MANY_REQUESTS',
    {
      code: 'account_locked',
      message: `too many failed sign-ins for this account from this address; it is locked here for ${wait} (try again later, or ask an admin to reset the password)`,
      retryAfterSeconds,
    },
    { 'retry-after': String(retryAfterSeconds), 'x-retry-after': String(retryAfterSeconds) },
  );
};

/** The email of a sign-in body as better-auth parsed it; anything else is refused here rather than passed on. */
function emailOf(body: unknown): string {
  const email = (body as { email?: unknown } | null | undefined)?.email;
  if (typeof email !== 'string' || email.length === 0 || email.length > 320) {
    throw new APIError('BAD_REQUEST', {
      code: 'invalid_sign_in',
      message: 'email: send a JSON object with "email" (a string of at most 320 characters) and "password"',
    });
  }
  return emailKey(email);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function signInLockoutPlugin(db: Db, config: Pick<Config, 'DRIPLINE_SIGN_IN_LOCKOUT_SECONDS'>) {
  const policy = signInLockout(config);
  const isSignIn = (ctx: { path?: string }) => ctx.path === '/sign-in/email';
  const clientOf = (ctx: { headers?: Headers }) => ctx.headers?.get(CLIENT_IP_HEADER)?.trim() || 'unknown';
  return {
    id: 'dripline-sign-in-lockout',
    hooks: {
      before: [
        {
          matcher: isSignIn,
          handler: createAuthMiddleware(async (ctx) => {
            const email = emailOf(ctx.body);
            const nowMs = Date.now();
            const until = await lockedUntil(db, email, clientOf(ctx), nowMs);
            if (until !== undefined) throw lockedError(until, nowMs);
            const delay = signInDelayMs(policy, await accountFailures(db, email, nowMs - policy.windowMs));
            if (delay > 0) await sleep(delay);
          }),
        },
      ],
      after: [
        {
          matcher: isSignIn,
          handler: createAuthMiddleware(async (ctx) => {
            const email = emailOf(ctx.body);
            const returned = ctx.context.returned;
            const failed = returned instanceof Error || (returned as { name?: unknown } | undefined)?.name === 'APIError';
            if (failed) {
              if ((returned as { statusCode?: unknown }).statusCode === 401) await recordSignInFailure(db, email, clientOf(ctx), Date.now(), policy);
              return;
            }
            await clearSignInFailures(db, email, clientOf(ctx));
            // The session is in its HttpOnly cookie; the answer does not repeat its token where page scripts could read it.
            if (returned && typeof returned === 'object' && 'token' in returned) {
              const { token: _token, ...rest } = returned as Record<string, unknown>;
              return ctx.json(rest);
            }
          }),
        },
        {
          // The session's token is its cookie's value: get-session answers the session without it.
          matcher: (ctx: { path?: string }) => ctx.path === '/get-session',
          handler: createAuthMiddleware(async (ctx) => {
            const returned = ctx.context.returned as { session?: Record<string, unknown> } | null | undefined;
            if (!returned?.session || !('token' in returned.session)) return;
            const { token: _token, ...session } = returned.session;
            return ctx.json({ ...returned, session });
          }),
        },
      ],
    },
  } satisfies BetterAuthPlugin;
}
