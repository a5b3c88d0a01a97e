/**
 * Send windows: the times of the week at which a message may go out, in a time zone, e.g. Mon–Fri
 * 09:00–17:00 in Europe/Berlin. Pure (Intl only, no time-zone library): the editor, the server and
 * the worker share it.
 *
 * A window on a local date is every instant whose wall-clock time in the zone falls on an allowed
 * weekday and in [from, to). That one definition settles the DST cases: on a spring-forward day a
 * 02:30 opening that the clock skips opens at the first wall time after it (03:00 in New York), and
 * in the repeated autumn hour a window may open twice (once on each offset); the earliest counts.
 */

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const WEEKDAY_LABELS: Record<Weekday, string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };
/** JavaScript's getUTCDay() order (0 = Sunday). */
const BY_JS_DAY: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** A time of day as the editor writes it: HH:MM, 24-hour. */
export const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;

export interface SendWindow {
  days: readonly Weekday[];
  /** Opening time, HH:MM (inclusive). */
  from: string;
  /** Closing time, HH:MM (exclusive), later than `from` on the same day. */
  to: string;
  /** Spread sends across the window instead of sending all at its opening. */
  randomize?: boolean;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** How far ahead to look: a week, plus a week for a window the clock skipped entirely (a DST gap). */
const HORIZON_DAYS = 16;

export function minutesOf(time: string): number {
  const m = TIME_OF_DAY.exec(time);
  if (!m) throw new RangeError(`"${time}" is not a time of day (HH:MM)`);
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's offset from UTC at instant t, in ms (whole seconds: Intl formats no milliseconds). */
export function zoneOffsetMs(t: number, zone: string): number {
  const seconds = Math.floor(t / 1000) * 1000;
  const p: Record<string, string> = {};
  for (const part of formatter(zone).formatToParts(seconds)) p[part.type] = part.value;
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - seconds;
}

/** The wall-clock time at t in the zone, as ms since 1970-01-01T00:00 of that wall clock. */
const wallOf = (t: number, zone: string) => t + zoneOffsetMs(t, zone);

/** Whether a message may go out at instant t. */
export function inSendWindow(t: number, window: SendWindow, zone: string): boolean {
  const wall = wallOf(t, zone);
  const day = BY_JS_DAY[new Date(wall).getUTCDay()] as Weekday;
  const ofDay = wall - Math.floor(wall / DAY) * DAY;
  return window.days.includes(day) && ofDay >= minutesOf(window.from) * MINUTE && ofDay < minutesOf(window.to) * MINUTE;
}

/** The instants in [start, end] at which the zone's offset changes (DST, or a zone's rules changing), and every offset seen. */
function transitions(start: number, end: number, zone: string): { at: number[]; offsets: Set<number> } {
  const at: number[] = [];
  const offsets = new Set<number>();
  const STEP = 6 * HOUR;
  let t = start;
  let offset = zoneOffsetMs(t, zone);
  offsets.add(offset);
  while (t < end) {
    const u = Math.min(t + STEP, end);
    const next = zoneOffsetMs(u, zone);
    if (next !== offset) {
      // The first instant with the new offset, to the millisecond.
      let lo = t;
      let hi = u;
      while (hi - lo > 1) {
        const mid = lo + Math.floor((hi - lo) / 2);
        if (zoneOffsetMs(mid, zone) === offset) lo = mid;
        else hi = mid;
      }
      at.push(hi);
      offsets.add(next);
    }
    t = u;
    offset = next;
  }
  return { at, offsets };
}

/**
 * The stretch of the window in which a message sent now may go out: [start, end), start ≥ now.
 * start is now when now is inside the window, else the window's next opening.
 */
export function windowInterval(now: number, window: SendWindow, zone: string): { start: number; end: number } {
  if (window.days.length === 0) throw new RangeError('a send window needs at least one day');
  const fromMs = minutesOf(window.from) * MINUTE;
  const toMs = minutesOf(window.to) * MINUTE;
  if (!(fromMs < toMs)) throw new RangeError(`a send window must close after it opens (${window.from}–${window.to})`);
  const horizon = now + HORIZON_DAYS * DAY;
  const zoneChanges = transitions(now - DAY, horizon + 2 * DAY, zone);
  const inside = (t: number) => inSendWindow(t, window, zone);
  // The instants at which the wall clock reads `ofDay` on each local date from `firstDay` on, for each offset the zone uses.
  const wallTimes = (firstDay: number, days: number, ofDay: number) =>
    Array.from({ length: days }, (_, i) => (firstDay + i) * DAY + ofDay).flatMap((wall) =>
      [...zoneChanges.offsets].map((o) => wall - o).filter((t) => wallOf(t, zone) === wall),
    );

  let start: number | undefined;
  if (inside(now)) start = now;
  else {
    // The window opens where the wall clock reaches `from`, or where the clock jumps into the window.
    const today = Math.floor(wallOf(now, zone) / DAY);
    const openings = [...wallTimes(today - 1, HORIZON_DAYS + 2, fromMs), ...zoneChanges.at].filter((t) => t > now && inside(t));
    if (openings.length > 0) start = Math.min(...openings);
  }
  if (start === undefined) throw new RangeError(`the send window never opens in ${zone} in the next ${HORIZON_DAYS} days`);
  // It closes where the wall clock reaches `to`, or where the clock jumps out of it.
  const startDay = Math.floor(wallOf(start, zone) / DAY);
  const s = start;
  const closings = [...wallTimes(startDay - 1, 4, toMs), ...zoneChanges.at].filter((t) => t > s && !inside(t));
  return { start, end: Math.min(...closings) };
}

/**
 * When a contact who reaches the window at `now` may be sent to: at or after now, always inside the
 * window. With randomize, `rand` (in [0, 1)) spreads contacts across what is left of the window;
 * workflows pass their seeded Math.random() or a keyed draw, so a replay gets the same time.
 */
export function nextAllowedTime(now: number, window: SendWindow, zone: string, rand?: number): number {
  return pickInWindow(windowInterval(now, window, zone), window.randomize === true, rand);
}

/** The opening of [start, end), or with randomize a whole millisecond drawn in it (for callers that reuse one interval for many contacts). */
export function pickInWindow({ start, end }: { start: number; end: number }, randomize: boolean, rand?: number): number {
  if (!randomize || rand === undefined || !Number.isFinite(rand)) return start;
  const r = Math.min(Math.max(rand, 0), 1 - Number.EPSILON);
  return start + Math.floor(r * (end - start));
}

/** "Mon–Fri", "Mon, Wed, Fri", "every day". */
export function daysText(days: readonly Weekday[]): string {
  const on = WEEKDAYS.filter((d) => days.includes(d));
  if (on.length === 7) return 'every day';
  const runs: Weekday[][] = [];
  for (const d of on) {
    const last = runs.at(-1);
    if (last && WEEKDAYS.indexOf(last.at(-1) as Weekday) === WEEKDAYS.indexOf(d) - 1) last.push(d);
    else runs.push([d]);
  }
  return runs
    .map((r) =>
      r.length >= 3 ? `${WEEKDAY_LABELS[r[0] as Weekday]}–${WEEKDAY_LABELS[r.at(-1) as Weekday]}` : r.map((d) => WEEKDAY_LABELS[d]).join(', '),
    )
    .join(', ');
}
