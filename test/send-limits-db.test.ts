/**
 * The limits per minute and per rolling 24 hours, held in the database for every worker: concurrent
 * reservations (on PostgreSQL from two handles, i.e. two workers' pools) never put one send too many in
 * any window; and a daily cap per calendar day counts in the profile's time zone. With a clock the test controls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../server/db';
import { refundDailySlot, refundPaceSlot, reserveSendSlot } from '../server/db/throttle';
import { databases, tempInstallOn } from './databases';

/** The most send times in any half-open window of `ms`. */
function busiest(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

describe.each(databases)('on %s', (dialect) => {
  let db: Db;
  let other: Db;
  beforeAll(async () => {
    const install = await tempInstallOn(dialect);
    db = install.db;
    // A second worker: its own pool on PostgreSQL; SQLite has one writer per file, and one handle in a process.
    other = dialect === 'postgres' ? await openDatabase(install.config.database, { poolSize: 4 }) : db;
  });
  afterAll(async () => {
    if (other !== db) await other?.destroy();
    await db?.destroy();
  });

  it('never lets concurrent reservations exceed 30 a minute or 100 in any 24 hours', async () => {
    const profile = { id: 'm365-like', ratePerSecond: null, dailyCap: 100, dailyCapWindow: 'rolling' as const, perMinute: 30 };
    const start = Date.parse('2026-12-07T10:00:00Z');
    const sent: number[] = [];
    const ask = async (now: number) => {
      const asks = Array.from({ length: 12 }, (_, i) => reserveSendSlot(i % 2 ? other : db, profile, now));
      for (const r of await Promise.all(asks)) {
        if (r.ok) sent.push(now + r.waitMs);
        else expect(r.reason).toBe('limit');
      }
    };
    // Twelve at once every 10 s for five minutes: 360 asked, far more than the limits allow.
    for (let t = start; t < start + 5 * MINUTE; t += 10_000) await ask(t);
    expect(busiest(sent, MINUTE)).toBe(30);
    expect(sent.length).toBe(100);
    // 30 a minute for three minutes and 10 in the fourth; a day later they leave the 24 hours as they came.
    const refused = await reserveSendSlot(db, profile, start + DAY - MINUTE);
    expect(refused).toMatchObject({ ok: false, reason: 'limit' });
    if (!refused.ok) expect(start + DAY - MINUTE + refused.retryAfterMs).toBeGreaterThan(start + DAY);
    for (let t = start + DAY; t < start + DAY + 3 * MINUTE; t += 10_000) await ask(t);
    expect(busiest(sent, MINUTE)).toBe(30);
    expect(busiest(sent, DAY)).toBe(100);
    expect(sent.length).toBe(100 + 90);
  });

  it('gives a refused message’s place back to the windows', async () => {
    const profile = { id: 'refunds', ratePerSecond: null, dailyCap: null, perHour: 2 };
    const now = Date.parse('2026-12-07T10:00:00Z');
    const first = await reserveSendSlot(db, profile, now);
    expect(first.ok).toBe(true);
    expect((await reserveSendSlot(db, profile, now + 1)).ok).toBe(true);
    expect(await reserveSendSlot(db, profile, now + 2)).toMatchObject({ ok: false, reason: 'limit', retryAfterMs: 3_600_000 - 1 });
    if (first.ok) await refundDailySlot(db, profile.id, first.day);
    expect((await reserveSendSlot(db, profile, now + 3)).ok).toBe(true);
  });

  it('gives a slot of the pace back for a message refused before it was taken, never one before now', async () => {
    const profile = { id: 'greylisted', ratePerSecond: 10, dailyCap: null };
    const now = Date.parse('2026-12-07T11:00:00Z');
    const slots: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await reserveSendSlot(db, profile, now);
      if (r.ok) slots.push(now + r.waitMs);
    }
    expect(slots).toHaveLength(4);
    // The last message was greylisted: its slot is free again, so the next one goes about then, not a slot later.
    await refundPaceSlot(db, profile, now);
    const next = await reserveSendSlot(db, profile, now);
    expect(next.ok).toBe(true);
    const gap = slots[3]! - slots[2]!;
    expect(now + (next.ok ? next.waitMs : 0) - slots[3]!).toBeLessThan(gap / 2);
    // Refunds never move the schedule before now: the pace cannot be made to burst.
    for (let i = 0; i < 10; i++) await refundPaceSlot(db, profile, now + 1_000);
    const after = await reserveSendSlot(db, profile, now + 1_000);
    expect(after.ok && after.waitMs).toBeGreaterThanOrEqual(0);
    const row = await db.selectFrom('smtpThrottle').select('tatUs').where('profileId', '=', profile.id).executeTakeFirstOrThrow();
    expect(row.tatUs).toBeGreaterThan((now + 1_000) * 1000);
  });

  it('counts a calendar daily cap from midnight in the profile’s time zone', async () => {
    const profile = { id: 'new-york', ratePerSecond: null, dailyCap: 2, dailyCapWindow: 'calendar' as const, timeZone: 'America/New_York' };
    // 23:00 UTC is 18:00 in New York; 01:00 UTC the next day still the same New York day.
    const evening = Date.parse('2026-12-07T23:00:00Z');
    expect(await reserveSendSlot(db, profile, evening)).toMatchObject({ ok: true, day: '2026-12-07' });
    expect((await reserveSendSlot(db, profile, evening + 1)).ok).toBe(true);
    const later = Date.parse('2026-12-08T01:00:00Z');
    // Refused until New York's midnight, 05:00 UTC.
    expect(await reserveSendSlot(db, profile, later)).toEqual({ ok: false, reason: 'daily-cap', retryAfterMs: 4 * 3_600_000 });
    expect(await reserveSendSlot(db, profile, Date.parse('2026-12-08T05:00:00Z'))).toMatchObject({ ok: true, day: '2026-12-08' });
  });
});
