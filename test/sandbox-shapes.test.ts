/** The server shapes the sandbox enforces, on a clock the test moves (no real time), and their SANDBOX_FAULTS spelling. */
import { describe, expect, it } from 'vitest';
import { createFaultInjector, FAULT_REPLIES, parseFaults } from '../server/sandbox-faults';
import { clockCap, concurrentConnections, enforced, fixedWindow, greylist, perConnection, tokenBucket } from '../server/sandbox-shapes';

/** How many of `times` (ms) `take` lets through. */
const passed = (times: number[], take: (t: number) => boolean) => times.filter((t) => take(t)).length;
const every = (ms: number, n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i * ms);

describe('a fixed window per client, from its first message (Postfix anvil)', () => {
  it('takes N in the window that starts at the first message, none more until it ends, then a new window from the next message', () => {
    const w = fixedWindow(3, 60_000);
    expect([0, 10, 20, 30, 59_999].map((t) => w.take('a', t))).toEqual([true, true, true, false, false]);
    // The window ends 60 s after the first message; the next one starts a window of its own.
    expect([60_000, 60_001, 60_002, 60_003].map((t) => w.take('a', t))).toEqual([true, true, true, false]);
    expect(w.take('a', 119_999)).toBe(false);
    expect(w.take('a', 120_000)).toBe(true);
  });

  it('counts each client on its own, whatever the connection', () => {
    const w = fixedWindow(2, 1000);
    expect(passed([0, 1, 2], (t) => w.take('10.0.0.1', t))).toBe(2);
    expect(passed([0, 1, 2], (t) => w.take('10.0.0.2', t))).toBe(2);
  });
});

describe('a token bucket (Amazon SES)', () => {
  it('lets the burst through at once, then R a second', () => {
    const b = tokenBucket(10, 5, 0);
    expect(passed(every(1, 20), (t) => b.take(t))).toBe(5);
    // 10 s later: full again (5), and over the next 10 s at 100/s, 10 a second more (less one for float sums of 0.1).
    const next = passed(every(10, 1001, 10_000), (t) => b.take(t));
    expect(next).toBeGreaterThanOrEqual(5 + 99);
    expect(next).toBeLessThanOrEqual(5 + 100);
  });
});

describe('caps per clock minute and clock hour', () => {
  it('takes N per clock minute, counted from the minute’s start whenever sending began', () => {
    const m = clockCap(4, 60_000);
    // Sending begins 50 s into a minute: its 4 are taken at once; the next minute starts at 60 s, not 110 s.
    expect(passed(every(100, 20, 50_000), (t) => m.take(t))).toBe(4);
    expect(passed(every(100, 20, 60_000), (t) => m.take(t))).toBe(4);
  });

  it('takes N per clock hour', () => {
    const h = clockCap(100, 3_600_000);
    expect(passed(every(1000, 600, 3_000_000), (t) => h.take(t))).toBe(100);
    expect(passed(every(1000, 600, 3_600_000), (t) => h.take(t))).toBe(100);
  });
});

describe('limits on connections (Exchange 4.3.2)', () => {
  it('takes N messages per connection; a new connection starts over', () => {
    const c = perConnection(2);
    expect(['a', 'a', 'a', 'b'].map((conn) => c.take(conn))).toEqual([true, true, false, true]);
    c.close('a');
    expect(c.take('a')).toBe(true);
  });

  it('refuses one connection too many, and takes one again when another closes', () => {
    const c = concurrentConnections(2);
    expect(['a', 'b', 'c'].map((conn) => c.connect(conn))).toEqual([true, true, false]);
    c.close('a');
    expect(c.connect('c')).toBe(true);
  });
});

describe('greylisting', () => {
  it('refuses the first try of each sender and recipient, in any case, and takes the next', () => {
    const g = greylist(1);
    expect([g.take('s@x', 'R@y'), g.take('s@x', 'r@y'), g.take('s@x', 'other@y')]).toEqual([false, true, false]);
  });
});

describe('a real rate below the announced one', () => {
  it('enforces the announced number times the real share, at least 1', () => {
    expect(enforced(600, 0.9)).toBe(540);
    expect(enforced(1, 0.5)).toBe(1);
    expect(enforced(50)).toBe(50);
  });

  it('applies to the window the sandbox enforces: window=10/60s,real=80% takes 8, answered 450 at MAIL FROM', () => {
    let now = 1_000_000;
    const faults = createFaultInjector(parseFaults('window=10/60s,real=80%'), () => now);
    const replies = Array.from({ length: 10 }, () => faults.mailFrom('127.0.0.1', 's1'));
    expect(replies.filter((r) => r === undefined)).toHaveLength(8);
    expect(replies[8]).toEqual(FAULT_REPLIES.tooMuchMail);
    // Another client has a window of its own; the first one's opens again after 60 s.
    expect(faults.mailFrom('127.0.0.2', 's2')).toBeUndefined();
    now += 60_000;
    expect(faults.mailFrom('127.0.0.1', 's1')).toBeUndefined();
    expect(faults.stats.rateLimited).toBe(2);
  });

  it('applies to the token bucket and the caps, each answered with its own reply', () => {
    let now = 0;
    const bucket = createFaultInjector(parseFaults('throttle=10/s,burst=10,real=50%'), () => now);
    expect(Array.from({ length: 10 }, () => bucket.dataEnd()).filter((r) => r === undefined)).toHaveLength(5);
    now += 1000;
    expect(Array.from({ length: 10 }, () => bucket.dataEnd()).filter((r) => r === undefined)).toHaveLength(5);
    const caps = createFaultInjector(parseFaults('per-minute=4,per-hour=6,real=50%'), () => now);
    expect(Array.from({ length: 3 }, () => caps.mailFrom())).toEqual([undefined, undefined, FAULT_REPLIES.minuteCap]);
    now += 60_000;
    expect(Array.from({ length: 3 }, () => caps.mailFrom())).toEqual([undefined, FAULT_REPLIES.hourCap, FAULT_REPLIES.hourCap]);
    expect(caps.stats.rateLimited).toBe(3);
  });

  it('answers the limit per connection with 421 4.3.2, counted apart from the rate limits', () => {
    const faults = createFaultInjector(parseFaults('per-connection=1'));
    expect([faults.mailFrom('c', 's1'), faults.mailFrom('c', 's1')]).toEqual([undefined, FAULT_REPLIES.connectionMessages]);
    faults.close('s1');
    expect(faults.mailFrom('c', 's1')).toBeUndefined();
    expect(faults.stats).toMatchObject({ connectionLimited: 1, rateLimited: 0 });
  });
});

describe('the shapes in SANDBOX_FAULTS', () => {
  it('parses them', () => {
    expect(parseFaults('window=600/1min,per-minute=600,per-hour=2000,per-connection=100,real=90%')).toEqual({
      window: { limit: 600, windowMs: 60_000 },
      perMinute: 600,
      perHour: 2000,
      perConnection: 100,
      real: 0.9,
    });
  });

  it('names the item and how to write it when one is wrong', () => {
    expect(() => parseFaults('window=600,real=0%,per-hour=-1')).toThrow(
      /"window=600": window takes messages per time unit.*like window=600\/60s[\s\S]*"real=0%": real takes the share[\s\S]*"per-hour=-1": per-hour takes a whole number/,
    );
  });
});
