/**
 * The rate limits every web instance shares (server/rate-limits.ts over server/db/rate-limits.ts), on
 * each database: windows and buckets at chosen instants, takes at once on several connections (as
 * several web processes make them) counted exactly, and the answers each limit gives when refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeFromWindow, takeToken } from '../server/db/rate-limits';
import { UserError } from '../server/errors';
import { authRateLimitStorage, previewLimit, takeEvent, testConnectionLimit } from '../server/rate-limits';
import { databases, tempInstallOn } from './databases';

const refusal = async (take: () => Promise<unknown>): Promise<UserError | undefined> => {
  try {
    await take();
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  return undefined;
};

describe.each(databases)('shared rate limits, on %s', (dialect) => {
  let install: Awaited<ReturnType<typeof tempInstallOn>>;
  // Real times: a take prunes rows untouched for a day, so instants long past would be pruned under the test.
  const t0 = Date.now();
  beforeAll(async () => {
    install = await tempInstallOn(dialect);
  });
  afterAll(async () => {
    await install?.db.destroy();
  });

  it('allow `max` takes in a window, refuse the next with the time left, each key on its own, then start a new window', async () => {
    const limit = { max: 3, windowMs: 1000 };
    for (let i = 0; i < 3; i++) expect(await takeFromWindow(install.db, 'w:a', limit, t0 + i * 100)).toEqual({ allowed: true, retryAfterMs: 0 });
    expect(await takeFromWindow(install.db, 'w:a', limit, t0 + 400)).toEqual({ allowed: false, retryAfterMs: 600 });
    expect((await takeFromWindow(install.db, 'w:b', limit, t0 + 400)).allowed).toBe(true);
    expect((await takeFromWindow(install.db, 'w:a', limit, t0 + 999)).allowed).toBe(false);
    expect((await takeFromWindow(install.db, 'w:a', limit, t0 + 1000)).allowed).toBe(true);
  });

  it('count takes that come at once, on several connections, exactly', async () => {
    const limit = { max: 5, windowMs: 60_000 };
    const answers = await Promise.all(Array.from({ length: 20 }, () => takeFromWindow(install.db, 'w:many', limit, t0)));
    expect(answers.filter((a) => a.allowed)).toHaveLength(5);
    const tokens = await Promise.all(Array.from({ length: 20 }, () => takeToken(install.db, 't:many', { perSecond: 0.001, burst: 5 }, t0)));
    expect(tokens.filter((a) => a.allowed)).toHaveLength(5);
  });

  it('allow a bucket its burst, refill it at its rate, and spend nothing on a refused take', async () => {
    const bucket = { perSecond: 100, burst: 5 };
    for (let i = 0; i < 5; i++) expect((await takeToken(install.db, 't:a', bucket, t0)).allowed).toBe(true);
    expect(await takeToken(install.db, 't:a', bucket, t0)).toEqual({ allowed: false, retryAfterMs: 10 });
    expect((await takeToken(install.db, 't:a', bucket, t0 + 5)).allowed).toBe(false);
    // Half a token at +5 ms, the other half by +10: one event's worth, refused takes having spent none.
    expect((await takeToken(install.db, 't:a', bucket, t0 + 10)).allowed).toBe(true);
    expect((await takeToken(install.db, 't:a', bucket, t0 + 10)).allowed).toBe(false);
    // Never more than the burst, however long it rested.
    const later = t0 + 3_600_000;
    const rested = await Promise.all(Array.from({ length: 8 }, () => takeToken(install.db, 't:a', bucket, later)));
    expect(rested.filter((a) => a.allowed)).toHaveLength(5);
  });

  it('answer a refused user a 429 naming the action, the limit and when to try again', async () => {
    for (let i = 0; i < 10; i++) await testConnectionLimit.take(install.db, 'usr_1', t0);
    const err = await refusal(() => testConnectionLimit.take(install.db, 'usr_1', t0 + 1500));
    expect(err?.status).toBe(429);
    expect(err?.code).toBe('rate_limited');
    expect(err?.message).toBe('Test connection: at most 10 a minute; try again in 59 s');
    expect(err?.details).toEqual({ retryAfterSeconds: 59 });
    // Another limit, and another user, count on their own.
    await previewLimit.take(install.db, 'usr_1', t0);
    await testConnectionLimit.take(install.db, 'usr_2', t0);
  });

  it("answer an API key over its events' rate a 429 with the rate, the burst and the wait", async () => {
    const config = { DRIPLINE_EVENTS_PER_SECOND: 100, DRIPLINE_EVENTS_BURST: 200 };
    for (let i = 0; i < 200; i++) await takeEvent(install.db, config, 'key_a', t0);
    const err = await refusal(() => takeEvent(install.db, config, 'key_a', t0));
    expect(err?.status).toBe(429);
    expect(err?.details).toEqual({ retryAfterSeconds: 1 });
    expect(err?.message).toMatch(/100 events a second \(bursts of 200\); wait 1 s/);
    await takeEvent(install.db, config, 'key_b', t0);
    await takeEvent(install.db, config, 'key_a', t0 + 10);
    expect(await refusal(() => takeEvent(install.db, config, 'key_a', t0 + 10))).toBeInstanceOf(UserError);
  });

  it("keep better-auth's per-IP counts, with its retry time in seconds", async () => {
    const storage = authRateLimitStorage(install.db);
    const rule = { window: 60, max: 3 };
    for (let i = 0; i < 3; i++) expect(await storage.consume('203.0.113.1|/sign-in/email', rule)).toEqual({ allowed: true, retryAfter: null });
    const refused = await storage.consume('203.0.113.1|/sign-in/email', rule);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfter).toBeGreaterThan(50);
    expect((await storage.consume('203.0.113.2|/sign-in/email', rule)).allowed).toBe(true);
  });
});
