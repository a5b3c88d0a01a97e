/**
 * Rate limits held for every web instance at once: one row per key (what is limited and for whom), each
 * take one atomic UPSERT … RETURNING (on PostgreSQL the row is locked for the statement), so requests
 * spread over several web processes count together.
 * - A window: at most `max` takes within `windowMs` of the window's first take (then a new window).
 * - A bucket: `burst` tokens refilled at `perSecond`; a take spends one, and a refused take spends none.
 * The policies are in server/rate-limits.ts.
 */
import { bigint, type Db, double, greatest, least, sql } from '.';

export interface Taken {
  allowed: boolean;
  /** When refused: how long until a take would be allowed. */
  retryAfterMs: number;
}

/** Rows untouched this long are removed (longer than any window). */
const KEEP_MS = 24 * 60 * 60 * 1000;
let prunedAt = 0;

async function pruneNowAndThen(db: Db, nowMs: number): Promise<void> {
  if (nowMs - prunedAt < 60_000) return;
  prunedAt = nowMs;
  await db
    .deleteFrom('rateLimits')
    .where('touchedAt', '<', nowMs - KEEP_MS)
    .execute();
}

/** Counts a take of `key` in its window; refused (the count still grows) once `max` were taken in the window. */
export async function takeFromWindow(db: Db, key: string, limit: { max: number; windowMs: number }, nowMs: number): Promise<Taken> {
  await pruneNowAndThen(db, nowMs);
  const ended = sql<boolean>`(rate_limits.window_start <= ${bigint(nowMs - limit.windowMs)})`;
  const row = await sql<{ count: number; windowStart: number }>`
    INSERT INTO rate_limits (limit_key, count, window_start, tokens, touched_at)
      VALUES (${key}, 1, ${bigint(nowMs)}, 0, ${bigint(nowMs)})
    ON CONFLICT (limit_key) DO UPDATE SET
      count = CASE WHEN ${ended} THEN 1 ELSE rate_limits.count + 1 END,
      window_start = CASE WHEN ${ended} THEN ${bigint(nowMs)} ELSE rate_limits.window_start END,
      touched_at = ${bigint(nowMs)}
    RETURNING count, window_start`.execute(db);
  const { count, windowStart } = row.rows[0] ?? { count: 1, windowStart: nowMs };
  const allowed = Number(count) <= limit.max;
  return { allowed, retryAfterMs: allowed ? 0 : Math.max(0, Number(windowStart) + limit.windowMs - nowMs) };
}

/** Takes a token from `key`'s bucket (full at first); refused, spending nothing, when less than one is left. */
export async function takeToken(db: Db, key: string, bucket: { perSecond: number; burst: number }, nowMs: number): Promise<Taken> {
  await pruneNowAndThen(db, nowMs);
  const refilled = least(
    db,
    double(bucket.burst),
    sql`rate_limits.tokens + CAST(${bigint(nowMs)} - rate_limits.touched_at AS double precision) * ${double(bucket.perSecond / 1000)}`,
  );
  // count: 1 when this take was allowed, 0 when refused.
  const row = await sql<{ count: number; tokens: number }>`
    INSERT INTO rate_limits (limit_key, count, window_start, tokens, touched_at)
      VALUES (${key}, 1, ${bigint(nowMs)}, ${double(bucket.burst - 1)}, ${bigint(nowMs)})
    ON CONFLICT (limit_key) DO UPDATE SET
      count = CASE WHEN ${refilled} >= 1 THEN 1 ELSE 0 END,
      tokens = CASE WHEN ${refilled} >= 1 THEN ${refilled} - 1 ELSE ${greatest(db, refilled, double(0))} END,
      touched_at = ${bigint(nowMs)}
    RETURNING count, tokens`.execute(db);
  const { count, tokens } = row.rows[0] ?? { count: 1, tokens: bucket.burst - 1 };
  const allowed = Number(count) === 1;
  return { allowed, retryAfterMs: allowed ? 0 : Math.ceil(((1 - Number(tokens)) / bucket.perSecond) * 1000) };
}
