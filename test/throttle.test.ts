/** The shared throttle, on a real SQLite database with a clock the test controls. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../server/db';
import { reserveSendSlot } from '../server/db/throttle';
import { tempInstall } from './helpers';

let db: Db;
beforeAll(async () => {
  ({ db } = await tempInstall());
});

/** The most send times that fall in any half-open 1-second window. */
function busiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('reserveSendSlot', () => {
  it.each([1, 14, 100, 500])('never puts more than %i sends in any second, whoever asks when', async (rate) => {
    const profile = { id: `rate-${rate}`, ratePerSecond: rate, dailyCap: null };
    const start = Date.parse('2026-11-26T10:00:00Z');
    const times: number[] = [];
    // Bursts of requests at irregular moments, as many workers would make them.
    let now = start;
    while (times.length < rate * 3) {
      // Twice the demand the limit allows.
      for (let burst = 0; burst < Math.ceil(rate * 0.137 * 2) + 1; burst++) {
        const r = await reserveSendSlot(db, profile, now, 2_000);
        if (r.ok) times.push(now + r.waitMs);
        else expect(r.reason).toBe('rate');
      }
      now += 137;
    }
    expect(busiestSecond(times)).toBeLessThanOrEqual(rate);
    // And it is not needlessly slow: the slots are packed at the limit.
    expect(busiestSecond(times)).toBeGreaterThanOrEqual(rate - 1);
  });

  it('asks to retry later instead of waiting past the limit', async () => {
    const profile = { id: 'backlog', ratePerSecond: 1, dailyCap: null };
    const now = Date.parse('2026-11-26T10:00:00Z');
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await reserveSendSlot(db, profile, now, 2_000));
    expect(results.slice(0, 3)).toEqual([{ ok: true, waitMs: 0 }, { ok: true, waitMs: 1000 }, { ok: true, waitMs: 2000 }]);
    expect(results[3]).toMatchObject({ ok: false, reason: 'rate' });
    expect((results[3] as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
  });

  it('holds the daily cap until the next UTC day', async () => {
    const profile = { id: 'capped', ratePerSecond: null, dailyCap: 3 };
    const now = Date.parse('2026-11-26T22:00:00Z');
    for (let i = 0; i < 3; i++) expect(await reserveSendSlot(db, profile, now + i)).toEqual({ ok: true, waitMs: 0 });
    expect(await reserveSendSlot(db, profile, now + 10)).toEqual({ ok: false, reason: 'daily-cap', retryAfterMs: 2 * 3_600_000 - 10 });
    expect(await reserveSendSlot(db, profile, Date.parse('2026-11-27T00:00:01Z'))).toEqual({ ok: true, waitMs: 0 });
  });
});
