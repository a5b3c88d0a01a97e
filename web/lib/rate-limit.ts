import 'server-only';
/**
 * A per-key limit of `limit` calls per `windowMs` (a sliding log), for actions that reach out of the
 * server on a user's behalf (Test connection). Kept in this web process's memory: with several web
 * instances, each allows its own share.
 */
import { UserError } from '@server/errors';

export class RateLimit {
  private readonly calls = new Map<string, number[]>();
  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly what: string,
  ) {}

  /** Counts a call; throws a 429 UserError (with retryAfterSeconds) when the key has used up its window. */
  take(key: string, nowMs = Date.now()): void {
    const recent = (this.calls.get(key) ?? []).filter((t) => t > nowMs - this.windowMs);
    if (recent.length >= this.limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil(((recent[0] ?? nowMs) + this.windowMs - nowMs) / 1000));
      this.calls.set(key, recent);
      throw new UserError(429, 'rate_limited', `${this.what}: at most ${this.limit} a minute; try again in ${retryAfterSeconds} s`, {
        retryAfterSeconds,
      });
    }
    recent.push(nowMs);
    this.calls.set(key, recent);
    if (this.calls.size > 10_000) for (const [k, times] of this.calls) if ((times.at(-1) ?? 0) <= nowMs - this.windowMs) this.calls.delete(k);
  }
}
