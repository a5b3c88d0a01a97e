/**
 * A profile's throttle, held for every worker at once, and learned from the server's answers.
 * - Pace: a GCRA. Each send reserves the next free slot, `1/rate` after the one before, in one atomic
 *   UPSERT, so workers in other processes or on other machines keep one schedule. The rate is the
 *   lower of the profile's own limit and the rate learned from the server (a little under it, so the
 *   small jitter between a slot and the wire never puts one message too many into a second).
 * - Learn (AIMD): a throttle reply cuts the learned rate to just under what the server accepted in
 *   the last second (at most once a second: the other messages in flight answer the same); each
 *   clean second after that raises it a little, never above the profile's limit. A profile with no
 *   limit finds one the same way. "Too many connections" lowers the connections the same way.
 * - Daily cap (per UTC day): counts reservations, and a message the server did not accept gives its
 *   slot back, so only accepted messages use the cap.
 * nodemailer's own rateLimit is per process and overshoots: it is not used.
 */
import { bigint, type Db, double, greatest, least, sql } from '.';

export type Reservation =
  /** Send after waiting this long (0: now). */
  | { ok: true; waitMs: number; day: string }
  /** No slot soon enough: retry after this long (durably, via Temporal). */
  | { ok: false; retryAfterMs: number; reason: 'rate' | 'daily-cap' };

export interface ThrottledProfile {
  id: string;
  ratePerSecond: number | null;
  dailyCap: number | null;
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** Slots are this much wider than 1/rate (3%): the headroom for jitter between a slot and the wire. */
const PACE_MARGIN = 0.97;
const MIN_RATE = 0.1;
/**
 * After a second or more without sends, the next second's slots are 10% wider: the first messages of a
 * run also open connections, so they reach the server later than their slots while the ones after them
 * do not, and without this room a busy first second would hold one message too many.
 */
const WARMUP_STRETCH = 1.1;
const SECOND_US = 1_000_000;
/** Replies a slow-down decision needs to go by. */
const EVIDENCE = 10;
/** Times are kept in whole µs (integer columns; PostgreSQL refuses a fraction), however fractional the ms given. */
const micros = (ms: number) => Math.round(ms * 1000);

/**
 * The effective rate in SQL: the lower of the learned rate and the profile's own limit (NULL: none).
 * Columns are named with their table: in an upsert PostgreSQL could not tell them from the proposed row's.
 */
const effectiveRate = (db: Db, limit: number | null) =>
  sql<
    number | null
  >`(CASE WHEN smtp_throttle.rate IS NULL THEN ${double(limit)} WHEN ${double(limit)} IS NULL THEN smtp_throttle.rate ELSE ${least(db, sql`smtp_throttle.rate`, double(limit))} END)`;

export async function reserveSendSlot(db: Db, profile: ThrottledProfile, nowMs: number, maxWaitMs = 10_000): Promise<Reservation> {
  const nowUs = micros(nowMs);
  const today = utcDay(nowMs);
  const cap = profile.dailyCap;
  const limit = profile.ratePerSecond;
  const firstIntervalUs = limit ? Math.ceil((SECOND_US * WARMUP_STRETCH) / (limit * PACE_MARGIN)) : 0;
  const rate = effectiveRate(db, limit);
  const interval = sql<number>`(CASE WHEN ${rate} IS NULL THEN 0 ELSE CAST(${sql.lit(SECOND_US)} / (${rate} * ${sql.lit(PACE_MARGIN)}) AS bigint) + 1 END)`;
  // Additive increase: after a clean second, a learned rate grows by 2% (at least 0.5/s), up to the limit.
  const grown = least(
    db,
    sql`smtp_throttle.rate + ${greatest(db, sql.lit(0.5), sql`smtp_throttle.rate * 0.02`)}`,
    sql`coalesce(${double(limit)}, 1e12)`,
  );
  const growNow = sql<boolean>`(smtp_throttle.rate IS NOT NULL AND ${bigint(nowUs)} >= smtp_throttle.increase_after_us)`;
  const idle = sql<boolean>`(smtp_throttle.tat_us < ${bigint(nowUs - SECOND_US)})`;
  const from = greatest(db, sql`smtp_throttle.tat_us`, bigint(nowUs));
  // By the slot's time, not the asking time: lanes ask for several slots at once when a run starts.
  const stretch = sql<number>`(CASE WHEN ${idle} OR ${from} < smtp_throttle.warm_until_us THEN ${sql.lit(WARMUP_STRETCH)} ELSE 1 END)`;
  const reserved = await sql<{ slotUs: number }>`
    INSERT INTO smtp_throttle (profile_id, tat_us, slot_us, day, day_count, warm_until_us)
      VALUES (${profile.id}, ${nowUs + firstIntervalUs}, ${nowUs}, ${today}, 1, ${nowUs + SECOND_US})
    ON CONFLICT (profile_id) DO UPDATE SET
      slot_us = ${from},
      tat_us = ${from} + CAST(${interval} * ${stretch} AS bigint),
      warm_until_us = CASE WHEN ${idle} THEN ${bigint(nowUs + SECOND_US)} ELSE smtp_throttle.warm_until_us END,
      day_count = CASE WHEN smtp_throttle.day = ${today} THEN smtp_throttle.day_count + 1 ELSE 1 END,
      day = ${today},
      rate = CASE WHEN ${growNow} THEN ${grown} ELSE smtp_throttle.rate END,
      increase_after_us = CASE WHEN ${growNow} THEN ${bigint(nowUs + SECOND_US)} ELSE smtp_throttle.increase_after_us END,
      episode_share = CASE WHEN ${growNow} THEN 0 ELSE smtp_throttle.episode_share END,
      episode_from = CASE WHEN ${growNow} THEN -1 ELSE smtp_throttle.episode_from END
    WHERE ${from} - ${bigint(nowUs)} <= ${bigint(maxWaitMs * 1000)}
      AND (${bigint(cap)} IS NULL OR smtp_throttle.day <> ${today} OR smtp_throttle.day_count < ${bigint(cap)})
    RETURNING slot_us`.execute(db);
  const row = reserved.rows[0];
  // The slot is the previous theoretical arrival time (or now); tat_us moved on by one interval.
  if (row) return { ok: true, waitMs: Math.max(0, (row.slotUs - nowUs) / 1000), day: today };

  const state = await db.selectFrom('smtpThrottle').selectAll().where('profileId', '=', profile.id).executeTakeFirstOrThrow();
  if (cap !== null && state.day === today && state.dayCount >= cap) {
    const midnight = Date.parse(`${today}T00:00:00.000Z`) + 86_400_000;
    return { ok: false, reason: 'daily-cap', retryAfterMs: midnight - nowMs };
  }
  return { ok: false, reason: 'rate', retryAfterMs: Math.max(1, Math.ceil((state.tatUs - nowUs) / 1000) - maxWaitMs) };
}

/**
 * The first message on a new connection reached the server only now: it also waited for the connection
 * (connect, greeting, login), while the sends after it will not. The schedule goes on from now, not
 * from its slot, and its first second is a warm-up second again (WARMUP_STRETCH), so the next message
 * cannot land in the same second at the server.
 */
export async function restartPace(db: Db, profile: ThrottledProfile, nowMs: number): Promise<void> {
  const nowUs = micros(nowMs);
  const rate = effectiveRate(db, profile.ratePerSecond);
  const interval = sql<number>`(CASE WHEN ${rate} IS NULL THEN 0 ELSE CAST(${sql.lit(SECOND_US * WARMUP_STRETCH)} / (${rate} * ${sql.lit(PACE_MARGIN)}) AS bigint) + 1 END)`;
  await sql`UPDATE smtp_throttle SET tat_us = ${greatest(db, sql`tat_us`, sql`${bigint(nowUs)} + ${interval}`)},
      warm_until_us = ${greatest(db, sql`warm_until_us`, bigint(nowUs + SECOND_US))}
    WHERE profile_id = ${profile.id}`.execute(db);
}

/** Makes sure the profile has its row, so that what it learns (and counts) has a place. */
export async function ensureThrottleRow(db: Db, profileId: string): Promise<void> {
  await sql`INSERT INTO smtp_throttle (profile_id, tat_us, slot_us, day, day_count) VALUES (${profileId}, 0, 0, '', 0) ON CONFLICT (profile_id) DO NOTHING`.execute(
    db,
  );
}

/** Whether sends of this profile need a slot each: a limit of its own, a learned rate, or a daily cap. */
export async function isPaced(db: Db, profile: ThrottledProfile): Promise<boolean> {
  if (profile.ratePerSecond || profile.dailyCap) return true;
  const row = await db.selectFrom('smtpThrottle').select('rate').where('profileId', '=', profile.id).executeTakeFirst();
  return row?.rate != null;
}

/** The server accepted a message: counted per second, which is what a slow-down learns from. Call it in the outcome's transaction. */
export async function recordAccepted(db: Db, profileId: string, nowMs: number): Promise<void> {
  const second = Math.floor(nowMs / 1000);
  await sql`UPDATE smtp_throttle SET
      acc_prev = CASE WHEN acc_sec = ${second} THEN acc_prev WHEN acc_sec = ${second - 1} THEN acc_count ELSE 0 END,
      acc_count = CASE WHEN acc_sec = ${second} THEN acc_count + 1 ELSE 1 END,
      acc_sec = ${second},
      ep_acc = ep_acc + 1
    WHERE profile_id = ${profileId}`.execute(db);
}

/** A message the server did not take gives its place in the daily cap back. */
export async function refundDailySlot(db: Db, profileId: string, day: string): Promise<void> {
  await sql`UPDATE smtp_throttle SET day_count = day_count - 1 WHERE profile_id = ${profileId} AND day = ${day} AND day_count > 0`.execute(db);
}

/**
 * The server said to slow down. Cuts the rate to 95% of what it accepted in the last second (and to
 * at most 85% of the current rate), once a second at most; the next increase waits two clean seconds.
 * A server that refuses a share of messages whatever the pace looks the same at first; it shows when a
 * cut does not help: if the share of throttle replies since an episode's first cut is still 80% of
 * what prompted it (and that was 10% or more), the cut is undone and for a minute such replies are only
 * retried. Every decision after an episode's first cut waits for ten replies since the last one: at a
 * low pace a second holds too few to tell anything, and cutting on them anyway took the pace of a
 * server refusing 30% of messages down to 0.1/s. Returns the new rate, or null when nothing was cut.
 */
export async function recordThrottleReply(db: Db, profile: ThrottledProfile, reply: string, nowMs: number): Promise<number | null> {
  const nowUs = micros(nowMs);
  const second = Math.floor(nowMs / 1000);
  await sql`UPDATE smtp_throttle SET
      thr_prev = CASE WHEN thr_sec = ${second} THEN thr_prev WHEN thr_sec = ${second - 1} THEN thr_count ELSE 0 END,
      thr_count = CASE WHEN thr_sec = ${second} THEN thr_count + 1 ELSE 1 END,
      thr_sec = ${second},
      ep_thr = ep_thr + 1,
      -- In an episode, a second with a throttle reply is not a clean one: the pace does not grow meanwhile.
      increase_after_us = CASE WHEN episode_from <> -1 THEN ${greatest(db, sql`increase_after_us`, bigint(nowUs + 2 * SECOND_US))} ELSE increase_after_us END
    WHERE profile_id = ${profile.id}`.execute(db);
  const row = await db.selectFrom('smtpThrottle').selectAll().where('profileId', '=', profile.id).executeTakeFirst();
  if (!row || nowUs < row.decreaseAfterUs || nowUs < row.sheddingUntilUs) return null;
  // The last full second when there is one, else this second so far.
  const lastSecond = (sec: number, count: number, prev: number) => (sec === second ? (prev > 0 ? prev : count) : sec === second - 1 ? count : 0);
  const accepted = lastSecond(row.accSec, row.accCount, row.accPrev);
  const refused = lastSecond(row.thrSec, row.thrCount, row.thrPrev);
  const share = refused / Math.max(1, accepted + refused);
  // Sending just began and a refusal came among its first few messages: what was accepted per second
  // is what was accepted in the part of the second that has passed (at least a tenth), not the few alone.
  const sendingSinceUs = Math.max(second * SECOND_US, row.warmUntilUs - SECOND_US);
  const early = row.accSec === second && row.accPrev === 0 && accepted + refused < EVIDENCE;
  const acceptedPerSecond = early ? accepted / Math.min(1, Math.max(0.1, (nowUs - sendingSinceUs) / SECOND_US)) : accepted;
  const limit = profile.ratePerSecond;
  const current = row.rate === null ? limit : limit === null ? row.rate : Math.min(row.rate, limit);
  const sinceCut = row.epAcc + row.epThr;
  const shareSinceCut = row.epThr / Math.max(1, sinceCut);
  if (row.episodeFrom !== -1 && sinceCut < EVIDENCE) return null;
  if (row.episodeFrom !== -1 && row.episodeShare === 0) {
    // The first cut came on too few replies to say what share prompted it: what followed says it.
    await db.updateTable('smtpThrottle').set({ episodeShare: shareSinceCut, epAcc: 0, epThr: 0 }).where('profileId', '=', profile.id).execute();
    return null;
  }
  if (row.episodeFrom !== -1 && row.episodeShare >= 0.1 && shareSinceCut >= row.episodeShare * 0.8) {
    // The cut did not help: not a rate limit. Back to the pace before the episode; retry, do not cut, for a minute.
    await db
      .updateTable('smtpThrottle')
      .set({
        rate: row.episodeFrom === -2 ? null : row.episodeFrom,
        episodeShare: 0,
        episodeFrom: -1,
        epAcc: 0,
        epThr: 0,
        sheddingUntilUs: nowUs + 60 * SECOND_US,
        decreaseAfterUs: nowUs + SECOND_US,
        slowdownAt: new Date(nowMs).toISOString(),
        slowdownReply: `${reply.slice(0, 400)} (refused whatever the pace: not slowing down)`,
      })
      .where('profileId', '=', profile.id)
      .execute();
    return null;
  }
  const base = current ?? Number.POSITIVE_INFINITY;
  const learned = Math.min(base * 0.85, accepted > 0 ? acceptedPerSecond * 0.95 : Number.isFinite(base) ? base * 0.5 : 10);
  const rate = Math.max(MIN_RATE, learned);
  // The episode's share is taken from a second with enough messages to mean something.
  const measured = accepted + refused >= EVIDENCE;
  await db
    .updateTable('smtpThrottle')
    .set({
      rate,
      ...(row.episodeShare === 0 && measured ? { episodeShare: share } : {}),
      // Where the episode started from: the learned rate then, or -2 for none (the profile's own pace).
      ...(row.episodeFrom === -1 ? { episodeFrom: row.rate ?? -2 } : {}),
      epAcc: 0,
      epThr: 0,
      decreaseAfterUs: nowUs + SECOND_US,
      increaseAfterUs: nowUs + 2 * SECOND_US,
      slowdownAt: new Date(nowMs).toISOString(),
      slowdownReply: reply.slice(0, 500),
    })
    .where('profileId', '=', profile.id)
    .execute();
  return rate;
}

/** "Too many connections": one connection fewer (at least one), at most every 5 s; a clean minute gives one back. */
export async function recordTooManyConnections(db: Db, profileId: string, current: number, nowMs: number): Promise<void> {
  const nowUs = micros(nowMs);
  await sql`UPDATE smtp_throttle SET conn_limit = ${Math.max(1, current - 1)}, conn_change_after_us = ${nowUs + 5 * SECOND_US}
    WHERE profile_id = ${profileId} AND ${nowUs} >= conn_change_after_us`.execute(db);
}

/** How many connections to use now: the profile's own, or fewer when the server said so (one more back each clean minute). */
export async function connectionLimit(db: Db, profile: { id: string; maxConnections: number }, nowMs: number): Promise<number> {
  const nowUs = micros(nowMs);
  const row = await db.selectFrom('smtpThrottle').select(['connLimit', 'connChangeAfterUs']).where('profileId', '=', profile.id).executeTakeFirst();
  if (!row || row.connLimit === null) return profile.maxConnections;
  if (nowUs >= row.connChangeAfterUs + 55 * SECOND_US) {
    const next = row.connLimit + 1 >= profile.maxConnections ? null : row.connLimit + 1;
    await db.updateTable('smtpThrottle').set({ connLimit: next, connChangeAfterUs: nowUs }).where('profileId', '=', profile.id).execute();
    return next ?? profile.maxConnections;
  }
  return Math.min(row.connLimit, profile.maxConnections);
}

export interface ThrottleState {
  /** Messages per second now: the learned rate, capped by the profile's own limit; null when unlimited. */
  effectiveRate: number | null;
  learnedRate: number | null;
  connections: number | null;
  lastSlowdown: { at: string; reply: string } | null;
  sentToday: number;
}

/** What the profile and run pages show about a profile's pace. */
export async function throttleState(db: Db, profile: ThrottledProfile): Promise<ThrottleState> {
  const row = await db.selectFrom('smtpThrottle').selectAll().where('profileId', '=', profile.id).executeTakeFirst();
  const learned = row?.rate ?? null;
  const limit = profile.ratePerSecond;
  return {
    effectiveRate: learned === null ? limit : limit === null ? learned : Math.min(learned, limit),
    learnedRate: learned,
    connections: row?.connLimit ?? null,
    lastSlowdown: row?.slowdownAt ? { at: row.slowdownAt, reply: row.slowdownReply ?? '' } : null,
    sentToday: row && row.day === utcDay(Date.now()) ? row.dayCount : 0,
  };
}

/** Forgets what a profile's pace learned and counted (its learned rate, connections, schedule and daily count). */
export async function resetThrottle(db: Db, profileId: string): Promise<void> {
  await db.deleteFrom('smtpThrottle').where('profileId', '=', profileId).execute();
}
