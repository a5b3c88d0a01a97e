/**
 * The Send window's time math (domain/flow/send-window.ts) and its node (checks, summary, plan step).
 * The property tests check every answer with a formatter of their own, in the zone, never with the
 * code under test: inside the window, never before now, and (without Randomize) the earliest such time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../domain/flow/compile';
import { contactZone, sendWindow } from '../domain/flow/nodes/send-window';
import { nextAllowedTime, type SendWindow, WEEKDAYS, type Weekday, windowInterval } from '../domain/flow/send-window';
import type { FlowGraph } from '../domain/flow/schema';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The zone's wall clock at t, by a formatter of the test's own: weekday and seconds since local midnight. */
const clocks = new Map<string, Intl.DateTimeFormat>();
function localClock(t: number, zone: string): { day: Weekday; seconds: number; text: string } {
  let f = clocks.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    clocks.set(zone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(t).map((p) => [p.type, p.value]));
  const day = String(parts.weekday).toLowerCase().slice(0, 3) as Weekday;
  return { day, seconds: Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second), text: f.format(t) };
}
const seconds = (hhmm: string) => Number(hhmm.slice(0, 2)) * 3600 + Number(hhmm.slice(3)) * 60;
function isInside(t: number, w: SendWindow, zone: string): boolean {
  const c = localClock(t, zone);
  return w.days.includes(c.day) && c.seconds >= seconds(w.from) && c.seconds < seconds(w.to);
}
const iso = (t: number) => new Date(t).toISOString();

const ZONES = Intl.supportedValuesOf('timeZone');
/** Instants around the DST changes of 2027 (both hemispheres) and of other years, and anywhere 2000–2040. */
const DST_DATES = [
  '2027-03-14',
  '2027-03-28',
  '2027-10-31',
  '2027-11-07',
  '2027-04-04',
  '2027-10-03',
  '2027-09-26',
  '2026-03-29',
  '2030-10-27',
  '2011-12-29',
];
const instant = fc.oneof(
  fc
    .record({ date: fc.constantFrom(...DST_DATES), offset: fc.integer({ min: -3 * DAY, max: 3 * DAY }) })
    .map(({ date, offset }) => Date.parse(date) + offset),
  fc.integer({ min: Date.parse('2000-01-01'), max: Date.parse('2040-12-31') }),
);
/** Zones with the day their clocks change (spring and autumn, both hemispheres, a 30-minute change), and instants in the days before. */
const DST_DAYS: [string, string][] = [
  ['America/New_York', '2027-03-14T00:00-05:00'],
  ['America/New_York', '2027-11-07T00:00-04:00'],
  ['Europe/Berlin', '2027-03-28T00:00+01:00'],
  ['Europe/Berlin', '2027-10-31T00:00+02:00'],
  ['Australia/Sydney', '2027-04-04T00:00+11:00'],
  ['Australia/Sydney', '2027-10-03T00:00+10:00'],
  ['Pacific/Auckland', '2027-09-26T00:00+12:00'],
  ['Australia/Lord_Howe', '2027-10-03T00:00+10:30'],
  ['America/Santiago', '2027-09-05T00:00-04:00'],
];
const zoneAndInstant = fc.oneof(
  fc.record({ zone: fc.constantFrom(...ZONES), now: instant }),
  fc
    .record({ change: fc.constantFrom(...DST_DAYS), before: fc.integer({ min: 0, max: 7 * DAY }) })
    .map(({ change: [zone, day], before }) => ({ zone, now: Date.parse(day) + 4 * HOUR - before })),
);
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
const sendWindowArb = fc
  .record({
    days: fc.subarray([...WEEKDAYS], { minLength: 1 }),
    // Often an opening or closing inside a skipped or repeated hour (01:00–03:00).
    a: fc.oneof(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 60, max: 180 }), fc.constantFrom(0, 540)),
    b: fc.oneof(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 60, max: 180 }), fc.constantFrom(1020)),
    randomize: fc.boolean(),
  })
  .filter(({ a, b }) => a !== b)
  .map(({ days, a, b, randomize }): SendWindow => ({ days, from: hhmm(Math.min(a, b)), to: hhmm(Math.max(a, b)), randomize }));

describe('nextAllowedTime (property-based, every time zone)', () => {
  it('is never before now and always inside the window, read on the zone’s own clock', () => {
    fc.assert(
      fc.property(zoneAndInstant, sendWindowArb, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), ({ zone, now }, w, rand) => {
        const t = nextAllowedTime(now, w, zone, rand);
        expect(t, `now ${iso(now)}`).toBeGreaterThanOrEqual(now);
        expect(isInside(t, w, zone), `${iso(t)} is ${localClock(t, zone).text} in ${zone}`).toBe(true);
      }),
      { numRuns: 600 },
    );
  });

  it('without Randomize it is the earliest such time: now itself, or the window’s opening', () => {
    fc.assert(
      fc.property(zoneAndInstant, sendWindowArb, ({ zone, now }, w) => {
        const t = nextAllowedTime(now, { ...w, randomize: false }, zone);
        if (t === now) return;
        expect(isInside(t - 1, w, zone), `just before ${iso(t)} (${localClock(t - 1, zone).text}) the window is shut`).toBe(false);
        // And it was shut all along since now: sample the wait at every quarter hour.
        for (let s = now; s < t; s += 15 * 60_000) expect(isInside(s, w, zone), `${iso(s)} in ${zone}`).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('with Randomize it spreads over what is left of the window: [start, end)', () => {
    fc.assert(
      fc.property(zoneAndInstant, sendWindowArb, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), ({ zone, now }, w, rand) => {
        const { start, end } = windowInterval(now, w, zone);
        const t = nextAllowedTime(now, { ...w, randomize: true }, zone, rand);
        expect(t).toBeGreaterThanOrEqual(start);
        expect(t).toBeLessThan(end);
        expect(isInside(end - 1, w, zone)).toBe(true);
        expect(isInside(end, w, zone)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('nextAllowedTime across DST (the cases by name)', () => {
  const weekdays: SendWindow = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' };

  it('Saturday evening before the 2027 spring-forward: Monday 09:00 on the new offset', () => {
    expect(iso(nextAllowedTime(Date.parse('2027-03-13T20:00:00-05:00'), weekdays, 'America/New_York'))).toBe('2027-03-15T13:00:00.000Z');
    expect(iso(nextAllowedTime(Date.parse('2027-03-27T20:00:00+01:00'), weekdays, 'Europe/Berlin'))).toBe('2027-03-29T07:00:00.000Z');
  });

  it('a 02:30 opening on a day the clock skips 02:00–03:00 opens at 03:00', () => {
    const sunday: SendWindow = { days: ['sun'], from: '02:30', to: '04:00' };
    expect(iso(nextAllowedTime(Date.parse('2027-03-13T20:00:00-05:00'), sunday, 'America/New_York'))).toBe('2027-03-14T07:00:00.000Z');
    expect(iso(nextAllowedTime(Date.parse('2027-03-27T20:00:00+01:00'), sunday, 'Europe/Berlin'))).toBe('2027-03-28T01:00:00.000Z');
    // A window the clock skips entirely waits a week.
    const skipped: SendWindow = { days: ['sun'], from: '02:10', to: '02:50' };
    expect(iso(nextAllowedTime(Date.parse('2027-03-13T20:00:00-05:00'), skipped, 'America/New_York'))).toBe('2027-03-21T06:10:00.000Z');
  });

  it('in the repeated autumn hour the window opens on the first pass, and again on the second', () => {
    const early: SendWindow = { days: ['sun'], from: '01:00', to: '01:45' };
    // 2027-11-07 in New York: 01:00–02:00 EDT (05:00–06:00Z), then 01:00–02:00 EST (06:00–07:00Z).
    expect(windowInterval(Date.parse('2027-11-06T12:00:00Z'), early, 'America/New_York')).toEqual({
      start: Date.parse('2027-11-07T05:00:00Z'),
      end: Date.parse('2027-11-07T05:45:00Z'),
    });
    expect(windowInterval(Date.parse('2027-11-07T05:50:00Z'), early, 'America/New_York')).toEqual({
      start: Date.parse('2027-11-07T06:00:00Z'),
      end: Date.parse('2027-11-07T06:45:00Z'),
    });
    // A window across the change is one stretch, an hour longer than on other days.
    const across = windowInterval(Date.parse('2027-11-06T12:00:00Z'), { days: ['sun'], from: '00:30', to: '03:00' }, 'America/New_York');
    expect(across.end - across.start).toBe(3.5 * HOUR);
  });

  it('inside the window it is now; Randomize spreads over the rest of today’s window', () => {
    const now = Date.parse('2027-03-16T10:00:00-04:00');
    expect(nextAllowedTime(now, weekdays, 'America/New_York')).toBe(now);
    expect(nextAllowedTime(now, { ...weekdays, randomize: true }, 'America/New_York', 0.5)).toBe(now + 3.5 * HOUR);
  });
});

describe('the Send window node', () => {
  const graph = (data: unknown): FlowGraph =>
    ({
      schemaVersion: 1,
      nodes: [
        { id: 'start', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'audience' } },
        { id: 'hours', type: 'sendWindow', position: { x: 0, y: 100 }, data },
        { id: 'end', type: 'exit', position: { x: 0, y: 200 }, data: {} },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'hours' },
        { id: 'e2', source: 'hours', target: 'end' },
      ],
    }) as FlowGraph;
  const meta = { flowId: 'f', version: 1 };

  it('compiles to a plan step with the days in week order', () => {
    const result = compile(graph({ days: ['fri', 'mon'], from: '09:00', to: '17:00', timeZone: 'Europe/Berlin', randomize: true }), meta);
    expect(result.ok && result.plan.steps.hours).toEqual({
      type: 'sendWindow',
      days: ['mon', 'fri'],
      from: '09:00',
      to: '17:00',
      timeZone: 'Europe/Berlin',
      randomize: true,
      next: 'end',
    });
  });

  it('names each field a marketer must fix, in their words', () => {
    const result = compile(graph({ days: [], from: '17:00', to: '09:00', timeZone: 'Mars/Olympus' }), meta);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      { nodeId: 'hours', field: 'data.days', message: 'tick at least one day on which emails may go out' },
      { nodeId: 'hours', field: 'data.to', message: expect.stringMatching(/make "Until" \(09:00\) later than "From" \(17:00\)/) },
      {
        nodeId: 'hours',
        field: 'data.timeZone',
        message: expect.stringMatching(/"Mars\/Olympus" is not a time zone; choose one such as Europe\/Berlin/),
      },
    ]);
    const badTime = compile(graph({ days: ['mon'], from: '9', to: '25:00', timeZone: 'UTC' }), meta);
    expect(!badTime.ok && badTime.errors.map((e) => e.field)).toEqual(['data.from', 'data.to']);
    expect(!badTime.ok && badTime.errors[0]?.message).toMatch(/HH:MM/);
  });

  it('says what it does', () => {
    expect(sendWindow.summary(sendWindow.defaults({ defaultProfileId: 'x' }))).toBe("Send Mon–Fri 09:00–17:00 in the contact's time zone (else UTC)");
    expect(sendWindow.summary({ days: ['sat', 'sun'], from: '10:00', to: '12:00', timeZone: 'Europe/Paris', randomize: true })).toBe(
      "Send Sat, Sun 10:00–12:00 in the contact's time zone (else Europe/Paris), spread",
    );
  });

  it('reads the contact’s timezone attribute, and falls back to the node’s zone when it is missing or not a zone', () => {
    expect(contactZone({ timezone: 'Asia/Tokyo' }, 'UTC')).toBe('Asia/Tokyo');
    expect(contactZone({ timezone: 'Nowhere/Land' }, 'UTC')).toBe('UTC');
    expect(contactZone({ timezone: 42 }, 'Europe/Berlin')).toBe('Europe/Berlin');
    expect(contactZone(undefined, 'Europe/Berlin')).toBe('Europe/Berlin');
  });
});
