/**
 * A profile's limits per minute, per hour and per rolling 24 hours, held for every worker at once; and
 * which calendar day (in the profile's time zone) its daily cap and warm-up count in (domain/send-limits.ts).
 * Each reserved send's slot is logged; a reservation locks the profile's throttle row (PostgreSQL: the
 * row; SQLite: the one writer), counts the log in each window and takes its slot only when every window
 * has room: so concurrent reservations in any process never put one send too many in a window.
 */
import { type Db, sql } from '.';
import {
  calendarAllowance,
  isLimited,
  type LimitFields,
  limitsOf,
  localDay,
  nextDayStart,
  slidingWindows,
  windowFreeAt,
} from '../../domain/send-limits';
import type { Reservation } from './throttle';

/** The calendar day a reservation counts in, its allowance (cap and warm-up; null: none) and how long until the next begins. */
export interface Today {
  day: string;
  cap: number | null;
  untilNextDayMs: number;
}

const DAY_MS = 86_400_000;
const micros = (ms: number) => Math.round(ms * 1000);

export const todayFor = (profile: LimitFields, nowMs: number): Today => {
  const limits = limitsOf(profile);
  const day = localDay(limits.timeZone, nowMs);
  return { day, cap: calendarAllowance(limits, day), untilNextDayMs: nextDayStart(limits.timeZone, nowMs) - nowMs };
};

export const needsSlots = (profile: LimitFields) => isLimited(limitsOf(profile));

/**
 * Reserves a send's slot within all of the profile's limits: `reservePace` takes the pace's slot and the
 * calendar day's count (server/db/throttle.ts); here, first the windows. Refused: when the first window
 * has room again. The day is the one at `dayClockMs`: Temporal's clock for a durable send (the same as
 * the machine's, but in a time-skipping test it has moved on), the machine's otherwise.
 */
export async function reserveWithinLimits(
  db: Db,
  profile: LimitFields & { id: string },
  nowMs: number,
  dayClockMs: number,
  reservePace: (db: Db, today: Today) => Promise<Reservation>,
): Promise<Reservation> {
  const today = todayFor(profile, dayClockMs);
  // A day the warm-up sends nothing on (or before it starts): nothing to count.
  if (today.cap === 0) return { ok: false, reason: 'daily-cap', retryAfterMs: today.untilNextDayMs };
  const windows = slidingWindows(limitsOf(profile));
  if (windows.length === 0) return reservePace(db, today);
  const inTransaction = async (trx: Db) => {
    // A write first: it holds the profile's row (PostgreSQL) or the database's write lock (SQLite) to the end.
    await sql`INSERT INTO smtp_throttle (profile_id, tat_us, slot_us, day, day_count) VALUES (${profile.id}, 0, 0, '', 0)
      ON CONFLICT (profile_id) DO UPDATE SET day_count = smtp_throttle.day_count`.execute(trx);
    const log = () => trx.selectFrom('smtpSendLog').where('profileId', '=', profile.id);
    await trx
      .deleteFrom('smtpSendLog')
      .where('profileId', '=', profile.id)
      .where('slotUs', '<', micros(nowMs - DAY_MS))
      .execute();
    let freeAt = nowMs;
    for (const w of windows) {
      const since = micros(nowMs - w.windowMs);
      const row = await log()
        .select((eb) => eb.fn.countAll().as('count'))
        .where('slotUs', '>', since)
        .executeTakeFirst();
      const count = Number(row?.count ?? 0);
      if (count < w.max) continue;
      const kth = await log()
        .select('slotUs')
        .where('slotUs', '>', since)
        .orderBy('slotUs')
        .limit(1)
        .offset(count - w.max)
        .executeTakeFirst();
      freeAt = Math.max(freeAt, windowFreeAt(w, count, kth ? Number(kth.slotUs) / 1000 : null, nowMs));
    }
    if (freeAt > nowMs) return { ok: false, reason: 'limit', retryAfterMs: Math.ceil(freeAt - nowMs) } as const;
    const slot = await reservePace(trx, today);
    if (slot.ok)
      await trx
        .insertInto('smtpSendLog')
        .values({ profileId: profile.id, slotUs: micros(nowMs + slot.waitMs) })
        .execute();
    return slot;
  };
  return db.isTransaction ? inTransaction(db) : db.transaction().execute(inTransaction);
}

/**
 * A send given back (refused by the server, or its slot given up): its place in the windows is freed. Its
 * own row is not known here, so the oldest goes: never later than the send's, so every window still counts
 * at least what went out (a window may free a little later than it could).
 */
export async function refundWindowSlot(db: Db, profileId: string): Promise<void> {
  await sql`DELETE FROM smtp_send_log WHERE id = (SELECT id FROM smtp_send_log WHERE profile_id = ${profileId} ORDER BY slot_us LIMIT 1)`.execute(db);
}
