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
import { refundDailySlot, reserveSendSlot, type ThrottledProfile } from '../db/throttle';
import { metrics } from '../metrics';

/** A third of the headroom in a second. */
export const LATE_MS = 10;

/** Resolves at this send's slot with its UTC day (to refund the daily cap if the server refuses it), or says to retry later. */
export async function waitForSlot(db: Db, profile: ThrottledProfile): Promise<{ ok: true; day: string } | { ok: false }> {
  for (;;) {
    const askedAt = Date.now();
    const slot = await reserveSendSlot(db, profile, askedAt);
    if (!slot.ok) return slot;
    if (slot.waitMs > 0) {
      metrics.throttleWaits.inc({ profile: profile.id });
      metrics.throttleWaitSeconds.observe({ profile: profile.id }, slot.waitMs / 1000);
      await delay(slot.waitMs);
    }
    if (Date.now() - (askedAt + slot.waitMs) <= LATE_MS) return slot;
    await refundDailySlot(db, profile.id, slot.day);
  }
}
