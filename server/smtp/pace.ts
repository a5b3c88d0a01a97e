/**
 * A paced send's wait for its slot in the profile's schedule (server/db/throttle.ts).
 *
 * The schedule keeps 3% headroom, about 30 ms in a second, for the jitter between a slot and the
 * server. A send that wakes up well after its slot (the event loop was held up: a collection, a
 * commit, a busy machine) would go out right before the sends of the next slots, and a few of those
 * together would put one message too many into a second at the server. So a send more than LATE_MS
 * behind its slot gives it up (a gap in the schedule, never a crowd) and takes the next free one.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Db } from '../db';
import { refundDailySlot, reserveSendSlot, slotStands, type ThrottledProfile } from '../db/throttle';
import { metrics } from '../metrics';

/** A third of the headroom in a second. */
export const LATE_MS = 10;
/**
 * How late a send may wake after its slot and still take it: LATE_MS, or a quarter of the time to the
 * next slot when that is longer. A probe in a back-off (a slot a second or more from the next) that woke
 * 20 ms late on a busy machine took the next slot a whole second later, and again: seconds lost.
 */
export const lateEnough = (slot: { intervalMs: number }) => Math.max(LATE_MS, slot.intervalMs / 4);
/**
 * A wait this long or longer is taken a second at a time, and the slot is given up when the pace backed
 * off further (a probe was refused) or started again from now (the server's window reopened) meanwhile:
 * a slot handed out during a back-off must not become one more refusal, nor hold a lane back.
 */
const RECHECK_MS = 200;
const RECHECK_EVERY_MS = 1000;
/** A send waiting out a back-off beats the batch's heart this often (its heartbeat timeout is 20 s). */
const BEAT_MS = 5000;
/**
 * A full window of the profile's limits (server/db/send-limits.ts) that has room again within this long is
 * waited out here, like a back-off: a per-minute limit holds the batch's lanes, not a retry per send.
 */
const WINDOW_WAIT_MS = 60_000;

/**
 * Resolves at this send's slot with its calendar day (to refund the daily cap if the server refuses it), or says
 * to retry later. With `waiting`, a back-off for the server's window (at most MAX_BACKOFF_MS) or a full window
 * of the profile's limits (at most WINDOW_WAIT_MS) is waited out here,
 * the batch's heart beating, instead of each send being handed off to a retry of its own.
 */
export async function waitForSlot(
  db: Db,
  profile: ThrottledProfile,
  waiting?: { beat: () => void; cancelled: AbortSignal },
): Promise<{ ok: true; day: string } | { ok: false }> {
  for (;;) {
    const askedAt = Date.now();
    const slot = await reserveSendSlot(db, profile, askedAt);
    const waitHere = !slot.ok && (slot.reason === 'back-off' || (slot.reason === 'limit' && slot.retryAfterMs <= WINDOW_WAIT_MS));
    if (!slot.ok && waitHere && waiting && !waiting.cancelled.aborted) {
      await delay(Math.min(slot.retryAfterMs, BEAT_MS));
      waiting.beat();
      continue;
    }
    if (!slot.ok) return slot;
    const at = askedAt + slot.waitMs;
    if (slot.waitMs > 0) {
      metrics.throttleWaits.inc({ profile: profile.id });
      metrics.throttleWaitSeconds.observe({ profile: profile.id }, slot.waitMs / 1000);
    }
    let stands = true;
    if (slot.waitMs >= RECHECK_MS) {
      while (stands && Date.now() < at - RECHECK_EVERY_MS) {
        await delay(RECHECK_EVERY_MS);
        stands = await slotStands(db, profile.id, at);
      }
    }
    if (stands && at > Date.now()) await delay(at - Date.now());
    if (stands && Date.now() - at <= lateEnough(slot)) return slot;
    await refundDailySlot(db, profile.id, slot.day);
  }
}
