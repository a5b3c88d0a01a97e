/**
 * A profile's throttle, held for every worker at once: messages per second as a GCRA (each send
 * reserves the next free slot, `1/rate` after the one before) and an optional daily cap (per UTC day).
 * Each reservation is one atomic UPSERT in the app database, so workers in other processes or on
 * other machines see the same schedule. nodemailer's own rateLimit is per process and overshoots.
 */
import { sql, type Db } from '.';

export type Reservation =
  /** Send after waiting this long (0: now). */
  | { ok: true; waitMs: number }
  /** No slot soon enough: retry the activity after this long (durably, via Temporal). */
  | { ok: false; retryAfterMs: number; reason: 'rate' | 'daily-cap' };

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function reserveSendSlot(
  db: Db,
  profile: { id: string; ratePerSecond: number | null; dailyCap: number | null },
  nowMs: number,
  maxWaitMs = 10_000,
): Promise<Reservation> {
  if (!profile.ratePerSecond && !profile.dailyCap) return { ok: true, waitMs: 0 };
  // Whole microseconds, rounded up: float drift must never squeeze one more send into a second.
  const intervalUs = profile.ratePerSecond ? Math.ceil(1_000_000 / profile.ratePerSecond) : 0;
  const nowUs = nowMs * 1000;
  const today = utcDay(nowMs);
  const cap = profile.dailyCap;
  const reserved = await sql<{ tatUs: number }>`
    INSERT INTO smtp_throttle (profile_id, tat_us, day, day_count) VALUES (${profile.id}, ${nowUs + intervalUs}, ${today}, 1)
    ON CONFLICT (profile_id) DO UPDATE SET
      tat_us = max(tat_us, ${nowUs}) + ${intervalUs},
      day_count = CASE WHEN day = ${today} THEN day_count + 1 ELSE 1 END,
      day = ${today}
    WHERE max(tat_us, ${nowUs}) - ${nowUs} <= ${maxWaitMs * 1000}
      AND (${cap} IS NULL OR day <> ${today} OR day_count < ${cap})
    RETURNING tat_us`.execute(db);
  const row = reserved.rows[0];
  if (row) return { ok: true, waitMs: Math.max(0, (row.tatUs - intervalUs - nowUs) / 1000) };

  const state = await db.selectFrom('smtpThrottle').selectAll().where('profileId', '=', profile.id).executeTakeFirstOrThrow();
  if (cap !== null && state.day === today && state.dayCount >= cap) {
    const midnight = Date.parse(`${today}T00:00:00.000Z`) + 86_400_000;
    return { ok: false, reason: 'daily-cap', retryAfterMs: midnight - nowMs };
  }
  return { ok: false, reason: 'rate', retryAfterMs: Math.max(1, Math.ceil((state.tatUs - nowUs) / 1000) - maxWaitMs) };
}
