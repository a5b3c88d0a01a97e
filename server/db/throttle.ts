/**
 * A profile's throttle, held for every worker at once, and learned from the server's answers.
 * - Pace: a GCRA. Each send reserves the next free slot, `1/rate` after the one before, in one atomic
 *   UPSERT, so workers in other processes or on other machines keep one schedule. The rate is the
 *   lower of the profile's own limit and the rate learned from the server (a little under it, so the
 *   small jitter between a slot and the wire never puts one message too many into a second); no slot
 *   falls in a back-off (paused_until_us).
 * - Learn: the pure controller in server/smtp/pace-controller.ts decides; this file keeps its state in
 *   the profile's row and feeds it every accepted message and throttle reply. "Too many connections"
 *   lowers the connections the same way.
 * - Daily cap and warm-up (per calendar day in the profile's time zone): counts reservations, and a
 *   message the server did not accept gives its slot back, so only accepted messages use the cap.
 * - Per minute, per hour, per rolling 24 hours: server/db/send-limits.ts, around the pace's reservation.
 * nodemailer's own rateLimit is per process and overshoots: it is not used.
 */
import { bigint, type Db, dialectOf, double, greatest, least, sql, type Tables } from '.';
import { type PaceState, paceAccepted, paceThrottled, reopened } from '../smtp/pace-controller';
import { type LimitFields, limitsOf, type WarmupDay, warmupOn } from '../../domain/send-limits';
import { needsSlots, refundWindowSlot, reserveWithinLimits, type Today, todayFor } from './send-limits';

export type Reservation =
  /** Send after waiting this long (0: now). */
  | { ok: true; waitMs: number; day: string; intervalMs: number }
  /** No slot soon enough: retry after this long (durably, via Temporal). */
  | { ok: false; retryAfterMs: number; reason: 'rate' | 'daily-cap' | 'limit' | 'back-off' };

export interface ThrottledProfile extends LimitFields {
  id: string;
}

/** Slots are this much wider than 1/rate (3%): the headroom for jitter between a slot and the wire. */
const PACE_MARGIN = 0.97;
/**
 * After a second or more without sends, the next second's slots are 10% wider: the first messages of a
 * run also open connections, so they reach the server later than their slots while the ones after them
 * do not, and without this room a busy first second would hold one message too many.
 */
const WARMUP_STRETCH = 1.1;
const SECOND_US = 1_000_000;
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

export async function reserveSendSlot(
  db: Db,
  profile: ThrottledProfile,
  nowMs: number,
  maxWaitMs = 10_000,
  dayClockMs = nowMs,
): Promise<Reservation> {
  return reserveWithinLimits(db, profile, nowMs, dayClockMs, (trx, today) => reservePace(trx, profile, nowMs, maxWaitMs, today));
}

/** One slot of the schedule at the effective rate, in µs (0 when there is no rate). */
const slotInterval = (db: Db, limit: number | null) => {
  const rate = effectiveRate(db, limit);
  return sql<number>`(CASE WHEN ${rate} IS NULL THEN 0 ELSE CAST(${sql.lit(SECOND_US)} / (${rate} * ${sql.lit(PACE_MARGIN)}) AS bigint) + 1 END)`;
};

/**
 * A message the server refused before taking it (at MAIL FROM or RCPT TO) for anything but its pace
 * (greylisting, an unknown mailbox) gives its slot in the schedule back: the schedule ends one slot
 * earlier, never before now. Without it, a server that greylists every first try had half the slots
 * spent on refusals, and the pace sent 1.25 times slower than the server takes.
 */
export async function refundPaceSlot(db: Db, profile: ThrottledProfile, nowMs: number): Promise<void> {
  const interval = slotInterval(db, profile.ratePerSecond);
  await sql`UPDATE smtp_throttle SET tat_us = tat_us - ${interval}
    WHERE profile_id = ${profile.id} AND tat_us - ${interval} >= ${bigint(micros(nowMs))}`.execute(db);
}

/** The pace's slot, and a place in the calendar day's allowance (`day.cap`; null: none). */
async function reservePace(db: Db, profile: ThrottledProfile, nowMs: number, maxWaitMs: number, day: Today): Promise<Reservation> {
  const nowUs = micros(nowMs);
  const today = day.day;
  const cap = day.cap;
  const limit = profile.ratePerSecond;
  const firstIntervalUs = limit ? Math.ceil((SECOND_US * WARMUP_STRETCH) / (limit * PACE_MARGIN)) : 0;
  const interval = slotInterval(db, limit);
  const idle = sql<boolean>`(smtp_throttle.tat_us < ${bigint(nowUs - SECOND_US)})`;
  const from = greatest(db, sql`smtp_throttle.tat_us`, greatest(db, bigint(nowUs), sql`smtp_throttle.paused_until_us`));
  // By the slot's time, not the asking time: lanes ask for several slots at once when a run starts.
  const stretch = sql<number>`(CASE WHEN ${idle} OR ${from} < smtp_throttle.warm_until_us THEN ${sql.lit(WARMUP_STRETCH)} ELSE 1 END)`;
  const reserved = await sql<{ slotUs: number; tatUs: number }>`
    INSERT INTO smtp_throttle (profile_id, tat_us, slot_us, day, day_count, warm_until_us)
      VALUES (${profile.id}, ${nowUs + firstIntervalUs}, ${nowUs}, ${today}, 1, ${nowUs + SECOND_US})
    ON CONFLICT (profile_id) DO UPDATE SET
      slot_us = ${from},
      tat_us = ${from} + CAST(${interval} * ${stretch} AS bigint),
      warm_until_us = CASE WHEN ${idle} THEN ${bigint(nowUs + SECOND_US)} ELSE smtp_throttle.warm_until_us END,
      day_count = CASE WHEN smtp_throttle.day = ${today} THEN smtp_throttle.day_count + 1 ELSE 1 END,
      day = ${today}
    WHERE ${from} - ${bigint(nowUs)} <= ${bigint(maxWaitMs * 1000)}
      AND (${bigint(cap)} IS NULL OR smtp_throttle.day <> ${today} OR smtp_throttle.day_count < ${bigint(cap)})
    RETURNING slot_us, tat_us`.execute(db);
  const row = reserved.rows[0];
  // The slot is the previous theoretical arrival time (or now); tat_us moved on by one interval.
  if (row) return { ok: true, waitMs: Math.max(0, (row.slotUs - nowUs) / 1000), day: today, intervalMs: (row.tatUs - row.slotUs) / 1000 };

  const state = await db.selectFrom('smtpThrottle').selectAll().where('profileId', '=', profile.id).executeTakeFirstOrThrow();
  if (cap !== null && state.day === today && state.dayCount >= cap) {
    return { ok: false, reason: 'daily-cap', retryAfterMs: day.untilNextDayMs };
  }
  // The next slot: after the schedule and after any back-off.
  const nextUs = Math.max(state.tatUs, state.pausedUntilUs);
  return { ok: false, reason: state.backoffMs > 0 ? 'back-off' : 'rate', retryAfterMs: Math.max(1, Math.ceil((nextUs - nowUs) / 1000) - maxWaitMs) };
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

/** Whether a slot given for `atMs` still stands: not inside a longer back-off, and the schedule not started again since (server/smtp/pace.ts). */
export async function slotStands(db: Db, profileId: string, atMs: number): Promise<boolean> {
  const row = await db.selectFrom('smtpThrottle').select(['tatUs', 'pausedUntilUs']).where('profileId', '=', profileId).executeTakeFirst();
  return !row || (row.pausedUntilUs <= micros(atMs) && row.tatUs >= micros(atMs) - 1000);
}

/** Makes sure the profile has its row, so that what it learns (and counts) has a place. */
export async function ensureThrottleRow(db: Db, profileId: string): Promise<void> {
  await sql`INSERT INTO smtp_throttle (profile_id, tat_us, slot_us, day, day_count) VALUES (${profileId}, 0, 0, '', 0) ON CONFLICT (profile_id) DO NOTHING`.execute(
    db,
  );
}

/** Whether sends of this profile need a slot each: a limit of its own, a learned rate, or a daily cap. */
export async function isPaced(db: Db, profile: ThrottledProfile): Promise<boolean> {
  if (needsSlots(profile)) return true;
  const row = await db.selectFrom('smtpThrottle').select('rate').where('profileId', '=', profile.id).executeTakeFirst();
  return row?.rate != null;
}

type ThrottleRow = Tables['smtpThrottle'];
const ms = (us: number) => us / 1000;

/** The controller's state from the profile's row (times in µs there, in ms in the controller). */
function paceOf(row: ThrottleRow): PaceState {
  return {
    rate: row.rate,
    decreaseAfter: ms(row.decreaseAfterUs),
    increaseAfter: ms(row.increaseAfterUs),
    accSec: row.accSec,
    accCount: row.accCount,
    accPrev: row.accPrev,
    thrSec: row.thrSec,
    thrCount: row.thrCount,
    thrPrev: row.thrPrev,
    episodeShare: row.episodeShare,
    episodeFrom: row.episodeFrom,
    epAcc: row.epAcc,
    epThr: row.epThr,
    sheddingUntil: ms(row.sheddingUntilUs),
    warmUntil: ms(row.warmUntilUs),
    windowSince: ms(row.windowSinceUs),
    windowAccepted: row.windowAccepted,
    lastAcceptedAt: ms(row.lastAcceptedUs),
    lastRefusedAt: ms(row.lastRefusedUs),
    ceiling: row.ceilingRate,
    pausedSince: ms(row.pausedSinceUs),
    inRow: row.inRow,
    quota: row.quota,
    backoffMs: row.backoffMs,
    pausedUntil: ms(row.pausedUntilUs),
    windowMs: row.windowMs,
    slowdownAt: row.slowdownAt === null ? null : Date.parse(row.slowdownAt),
    slowdownReply: row.slowdownReply,
  };
}

/** The controller's state back into the row (the schedule's own columns, warm_until_us among them, are left alone). */
function rowOf(p: PaceState) {
  return {
    rate: p.rate,
    decreaseAfterUs: micros(p.decreaseAfter),
    increaseAfterUs: micros(p.increaseAfter),
    accSec: p.accSec,
    accCount: p.accCount,
    accPrev: p.accPrev,
    thrSec: p.thrSec,
    thrCount: p.thrCount,
    thrPrev: p.thrPrev,
    episodeShare: p.episodeShare,
    episodeFrom: p.episodeFrom,
    epAcc: p.epAcc,
    epThr: p.epThr,
    sheddingUntilUs: micros(p.sheddingUntil),
    windowSinceUs: micros(p.windowSince),
    windowAccepted: p.windowAccepted,
    lastAcceptedUs: micros(p.lastAcceptedAt),
    lastRefusedUs: micros(p.lastRefusedAt),
    ceilingRate: p.ceiling,
    pausedSinceUs: micros(p.pausedSince),
    inRow: p.inRow,
    quota: p.quota,
    backoffMs: Math.round(p.backoffMs),
    pausedUntilUs: micros(p.pausedUntil),
    windowMs: Math.round(p.windowMs),
    slowdownAt: p.slowdownAt === null ? null : new Date(p.slowdownAt).toISOString(),
    slowdownReply: p.slowdownReply,
  };
}

/**
 * Reads the profile's pace, lets `change` decide, and writes what it decided, in one transaction (the
 * caller's, when it is one): on PostgreSQL the row is locked meanwhile, SQLite has one writer at a time.
 */
async function changePace<T>(
  db: Db,
  profileId: string,
  change: (pace: PaceState) => { pace: PaceState; tatUs?: number; result: T },
): Promise<T | undefined> {
  const inTransaction = async (trx: Db) => {
    const select = trx.selectFrom('smtpThrottle').selectAll().where('profileId', '=', profileId);
    const row = await (dialectOf(trx) === 'postgres' ? select.forUpdate() : select).executeTakeFirst();
    if (!row) return undefined;
    const { pace, tatUs, result } = change(paceOf(row));
    await trx
      .updateTable('smtpThrottle')
      .set({ ...rowOf(pace), ...(tatUs === undefined ? {} : { tatUs }) })
      .where('profileId', '=', profileId)
      .execute();
    return result;
  };
  return db.isTransaction ? inTransaction(db) : db.transaction().execute(inTransaction);
}

/**
 * Messages this process saw accepted and has not told the pace yet, by profile: a batch tells it with
 * each group of outcomes it commits, but a throttle reply is told at once, and "replies in a row,
 * nothing accepted between" (the server's window is full) must not count the replies that came while
 * accepted messages waited for their group. So a throttle reply takes these first.
 */
const untold = new Map<string, number>();

/** A batch's message was accepted: told to the pace with its group's commit (takeUntold) or before the next throttle reply. */
export function noteAccepted(profileId: string): void {
  untold.set(profileId, (untold.get(profileId) ?? 0) + 1);
}

/** The accepted messages not told to the pace yet (see noteAccepted); they are the caller's to tell. */
export function takeUntold(profileId: string): number {
  const count = untold.get(profileId) ?? 0;
  untold.delete(profileId);
  return count;
}

/** Accepted messages into the pace; the server's window reopened: the schedule starts again from now at the learned rate. */
function withAccepted(before: PaceState, count: number, nowMs: number, limit: number | null) {
  const pace = paceAccepted(before, count, nowMs, limit);
  return { pace, tatUs: reopened(before, pace) ? micros(nowMs) : undefined };
}

/** The server accepted `count` messages (what a slow-down and the server's window learn from). Call it in the outcome's transaction. */
export async function recordAccepted(db: Db, profileId: string, nowMs: number, count = 1): Promise<void> {
  const profile = await db.selectFrom('smtpProfiles').select('ratePerSecond').where('id', '=', profileId).executeTakeFirst();
  await changePace(db, profileId, (before) => ({ ...withAccepted(before, count, nowMs, profile?.ratePerSecond ?? null), result: undefined }));
}

/** A message the server did not take gives its place in the daily cap back. */
export async function refundDailySlot(db: Db, profileId: string, day: string): Promise<void> {
  await sql`UPDATE smtp_throttle SET day_count = day_count - 1 WHERE profile_id = ${profileId} AND day = ${day} AND day_count > 0`.execute(db);
  await refundWindowSlot(db, profileId);
}

/**
 * The server said to slow down (server/smtp/pace-controller.ts decides how). Returns the new rate, or
 * null when nothing was cut.
 */
export async function recordThrottleReply(db: Db, profile: ThrottledProfile, reply: string, nowMs: number): Promise<number | null> {
  const accepted = takeUntold(profile.id);
  const cut = await changePace(db, profile.id, (told) => {
    // First what was accepted before this reply and is not told yet (noteAccepted).
    const first = accepted > 0 ? withAccepted(told, accepted, nowMs, profile.ratePerSecond) : { pace: told, tatUs: undefined };
    const before = first.pace;
    const { state, cut } = paceThrottled(before, reply, nowMs, profile.ratePerSecond);
    // A longer back-off: the schedule starts again at its end (the slots given before it are given up).
    return { pace: state, tatUs: state.pausedUntil > before.pausedUntil ? micros(state.pausedUntil) : first.tatUs, result: cut };
  });
  return cut ?? null;
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
  /** What today allows (its calendar cap and warm-up; null: no such limit), and where the warm-up is. */
  allowanceToday: number | null;
  warmup: WarmupDay | null;
}

/** What the profile and run pages show about a profile's pace. */
export async function throttleState(db: Db, profile: ThrottledProfile): Promise<ThrottleState> {
  const row = await db.selectFrom('smtpThrottle').selectAll().where('profileId', '=', profile.id).executeTakeFirst();
  const learned = row?.rate ?? null;
  const limit = profile.ratePerSecond;
  const today = todayFor(profile, Date.now());
  const { warmup } = limitsOf(profile);
  return {
    effectiveRate: learned === null ? limit : limit === null ? learned : Math.min(learned, limit),
    learnedRate: learned,
    connections: row?.connLimit ?? null,
    lastSlowdown: row?.slowdownAt ? { at: row.slowdownAt, reply: row.slowdownReply ?? '' } : null,
    sentToday: row && row.day === today.day ? row.dayCount : 0,
    allowanceToday: today.cap,
    warmup: warmup && warmupOn(warmup, today.day),
  };
}

/** Forgets what a profile's pace learned and counted (its learned rate, connections, schedule and daily count). */
export async function resetThrottle(db: Db, profileId: string): Promise<void> {
  await db.deleteFrom('smtpThrottle').where('profileId', '=', profileId).execute();
}
