/**
 * The limits on what a user or an API key may ask of the web app, held in the app database
 * (server/db/rate-limits.ts) so every web instance counts against the same window: Test connection,
 * previews (rendered, or sent to the sandbox or to the user's own address: one limit for the three),
 * publishes (every template of the flow checked, MJML compiled), each API key's events, and
 * better-auth's own per-IP limits (sign-in: 3 per DRIPLINE_SIGN_IN_RATE_WINDOW_SECONDS).
 */
import type { BetterAuthOptions } from 'better-auth';
import type { Config } from './config';
import type { Db } from './db';
import { takeFromWindow, takeToken } from './db/rate-limits';
import { UserError } from './errors';

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** At most `max` calls per key within `windowMs`; `name` keeps its keys apart from other limits'. */
export class RateLimit {
  constructor(
    readonly name: string,
    readonly max: number,
    readonly windowMs: number,
    private readonly what: string,
  ) {}

  /** Counts a call; a 429 UserError (with retryAfterSeconds) when the key has used up its window. */
  async take(db: Db, key: string, nowMs = Date.now()): Promise<void> {
    const { allowed, retryAfterMs } = await takeFromWindow(db, `${this.name}:${key}`, { max: this.max, windowMs: this.windowMs }, nowMs);
    if (allowed) return;
    const retryAfterSeconds = seconds(retryAfterMs);
    throw new UserError(429, 'rate_limited', `${this.what}: at most ${this.max} a minute; try again in ${retryAfterSeconds} s`, {
      retryAfterSeconds,
    });
  }
}

/** Each user may test 10 connections a minute: enough to fix a form, too few to scan a network with. */
export const testConnectionLimit = new RateLimit('test-connection', 10, 60_000, 'Test connection');
/** Renders on request run in the template threads (server/templates.ts): these keep one user from keeping them busy for everyone. */
export const previewLimit = new RateLimit('preview', 30, 60_000, 'Previews');
export const publishLimit = new RateLimit('publish', 10, 60_000, 'Publishing');

/** Takes one event from the API key's bucket (DRIPLINE_EVENTS_PER_SECOND, bursts of DRIPLINE_EVENTS_BURST); a 429 UserError when it is empty. */
export async function takeEvent(
  db: Db,
  config: Pick<Config, 'DRIPLINE_EVENTS_PER_SECOND' | 'DRIPLINE_EVENTS_BURST'>,
  apiKeyId: string,
  nowMs = Date.now(),
): Promise<void> {
  const perSecond = config.DRIPLINE_EVENTS_PER_SECOND;
  const burst = config.DRIPLINE_EVENTS_BURST;
  const { allowed, retryAfterMs } = await takeToken(db, `events:${apiKeyId}`, { perSecond, burst }, nowMs);
  if (allowed) return;
  const retryAfterSeconds = seconds(retryAfterMs);
  throw new UserError(
    429,
    'rate_limited',
    `this API key may send ${perSecond} events a second (bursts of ${burst}); wait ${retryAfterSeconds} s and send again, or spread the events out`,
    { retryAfterSeconds },
  );
}

/** better-auth's rate limit storage (its rule: at most `max` within `window` seconds), in the same table. */
export function authRateLimitStorage(db: Db): NonNullable<NonNullable<BetterAuthOptions['rateLimit']>['customStorage']> {
  return {
    async consume(key, rule) {
      const { allowed, retryAfterMs } = await takeFromWindow(db, `auth:${key}`, { max: rule.max, windowMs: rule.window * 1000 }, Date.now());
      return { allowed, retryAfter: allowed ? null : seconds(retryAfterMs) };
    },
  };
}
