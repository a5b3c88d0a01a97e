/**
 * A profile's sending limits, shaped like providers publish theirs: per second, per minute, per hour, and a
 * daily cap counted per calendar day in the profile's time zone or over the last 24 hours; and a warm-up ramp.
 * Pure (no Node built-ins): the throttle (server/db/send-limits.ts), the forecast and the browser share it.
 */
import { zoneOffsetMs } from './flow/send-window';

export interface Warmup {
  /** The ramp's first day (YYYY-MM-DD, in the profile's time zone). */
  start: string;
  /** Messages on the first sending day, and each sending day's volume × factor, up to the target. */
  first: number;
  factor: number;
  target: number;
  /** The weekdays it sends on during the ramp, ISO digits (1 Monday … 7 Sunday): '12345' is Monday to Friday. */
  days: string;
}

export interface SendLimits {
  ratePerSecond: number | null;
  perMinute: number | null;
  perHour: number | null;
  dailyCap: number | null;
  /** 'calendar': the cap counts from midnight in timeZone; 'rolling': over the last 24 hours. */
  dailyCapWindow: 'calendar' | 'rolling';
  timeZone: string;
  warmup: Warmup | null;
}

/** A stored profile's limit fields (all but the first two optional: older callers know only those). */
export interface LimitFields {
  ratePerSecond: number | null;
  dailyCap: number | null;
  perMinute?: number | null;
  perHour?: number | null;
  dailyCapWindow?: 'calendar' | 'rolling';
  timeZone?: string;
  warmupStart?: string;
  warmupFirst?: number;
  warmupFactor?: number;
  warmupTarget?: number;
  warmupDays?: string;
}

/** The limits of a stored profile (its warm-up is on when it has a start day). */
export const limitsOf = (p: LimitFields): SendLimits => ({
  ratePerSecond: p.ratePerSecond,
  perMinute: p.perMinute ?? null,
  perHour: p.perHour ?? null,
  dailyCap: p.dailyCap,
  dailyCapWindow: p.dailyCapWindow ?? 'calendar',
  timeZone: p.timeZone || 'UTC',
  warmup: p.warmupStart
    ? {
        start: p.warmupStart,
        first: p.warmupFirst ?? 50,
        factor: p.warmupFactor ?? 2,
        target: p.warmupTarget ?? 10_000,
        days: p.warmupDays || '1234567',
      }
    : null,
});

const DAY_MS = 86_400_000;

/** Whether sends need a slot each for these limits (a learned rate aside). */
export const isLimited = (l: SendLimits) => Boolean(l.ratePerSecond || l.perMinute || l.perHour || l.dailyCap || l.warmup);

/** The wall clock at `ms` in `zone`, as ms since 1970-01-01T00:00 of that clock (to the second). */
const wallClock = (zone: string, ms: number) => Math.floor(ms / 1000) * 1000 + zoneOffsetMs(ms, zone);

/** The calendar day (YYYY-MM-DD) at `ms` in `zone`. */
export const localDay = (zone: string, ms: number) => new Date(wallClock(zone, ms)).toISOString().slice(0, 10);

/** The instant `day` begins in `zone` (its midnight, or the first moment after a skipped one). */
export function dayStart(zone: string, day: string): number {
  const wall = Date.parse(`${day}T00:00:00Z`);
  const offset = (ms: number) => zoneOffsetMs(ms, zone);
  let t = wall - offset(wall);
  t = wall - offset(t);
  return localDay(zone, t) < day ? t + 3_600_000 : t;
}

export const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/** When the next calendar day begins in `zone`, after `ms`. */
export const nextDayStart = (zone: string, ms: number) => dayStart(zone, addDays(localDay(zone, ms), 1));

/** ISO weekday (1 Monday … 7 Sunday) of a YYYY-MM-DD day. */
const weekday = (day: string) => ((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;

/** Sending days of the ramp in [from, to): whole weeks at once, the rest a day at a time. */
function sendingDaysBetween(days: string, from: string, to: string): number {
  const span = Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS));
  let count = Math.floor(span / 7) * new Set(days).size;
  for (let i = span - (span % 7); i < span; i++) if (days.includes(String(weekday(addDays(from, i))))) count++;
  return count;
}

/** The volume of the ramp's n-th sending day (1-based): first × factor^(n−1), at most the target. */
export const rampLevel = (w: Warmup, n: number) => Math.min(w.target, Math.round(w.first * w.factor ** (n - 1)));

/** How many sending days the ramp takes to reach its target. */
export function rampLength(w: Warmup): number {
  let n = 1;
  while (rampLevel(w, n) < w.target && n < 1000) n++;
  return n;
}

export type WarmupDay =
  /** Before its start: nothing goes out yet. */
  | { state: 'not started'; allowance: 0 }
  /** A sending day of the ramp (dayOfRamp of rampDays), or a day it does not send on (allowance 0). */
  | { state: 'ramp'; allowance: number; dayOfRamp: number; rampDays: number; sendingDay: boolean }
  /** The target was reached on an earlier day: the warm-up no longer limits. */
  | { state: 'done'; allowance: null };

/**
 * What the warm-up allows on `day`. Days not chosen send nothing and do not move the ramp on: a
 * deliverability person warms an address on the days it will keep sending on, and a provider judges a
 * new sender by steady days, not by a volume that jumps after a silent weekend.
 */
export function warmupOn(w: Warmup, day: string): WarmupDay {
  if (day < w.start) return { state: 'not started', allowance: 0 };
  const before = sendingDaysBetween(w.days, w.start, day);
  const rampDays = rampLength(w);
  if (before >= rampDays) return { state: 'done', allowance: null };
  const sendingDay = w.days.includes(String(weekday(day)));
  const dayOfRamp = before + (sendingDay ? 1 : 0);
  return { state: 'ramp', allowance: sendingDay ? rampLevel(w, dayOfRamp) : 0, dayOfRamp, rampDays, sendingDay };
}

/** The most a profile may send on calendar day `day` (in its zone): its calendar cap and its warm-up; null for no limit. */
export function calendarAllowance(limits: SendLimits, day: string): number | null {
  const cap = limits.dailyCapWindow === 'calendar' ? limits.dailyCap : null;
  const warm = limits.warmup ? warmupOn(limits.warmup, day).allowance : null;
  if (cap === null) return warm;
  return warm === null ? cap : Math.min(cap, warm);
}

/** The sliding windows a profile counts its sends in (the per-second pace is the throttle's schedule). */
export function slidingWindows(limits: SendLimits): { label: string; windowMs: number; max: number }[] {
  return [
    ...(limits.perMinute ? [{ label: 'a minute', windowMs: 60_000, max: limits.perMinute }] : []),
    ...(limits.perHour ? [{ label: 'an hour', windowMs: 3_600_000, max: limits.perHour }] : []),
    ...(limits.dailyCap && limits.dailyCapWindow === 'rolling' ? [{ label: '24 hours', windowMs: DAY_MS, max: limits.dailyCap }] : []),
  ];
}

/**
 * When one more send fits a sliding window: now, while fewer than `max` sends count in it (every send
 * after now − window, later slots included), or when the oldest that must leave it has: the
 * (count − max + 1)-th oldest, `kthOldestMs`, plus the window.
 */
export function windowFreeAt(window: { windowMs: number; max: number }, count: number, kthOldestMs: number | null, nowMs: number): number {
  if (count < window.max || kthOldestMs === null) return nowMs;
  return Math.max(nowMs, kthOldestMs + window.windowMs + 1);
}

/** The steady rate (messages a second) the limits allow over an hour or less: for a forecast. */
export function sustainedRate(limits: SendLimits): number | null {
  const rates = [limits.ratePerSecond, limits.perMinute && limits.perMinute / 60, limits.perHour && limits.perHour / 3600].filter(
    (r): r is number => typeof r === 'number' && r > 0,
  );
  return rates.length > 0 ? Math.min(...rates) : null;
}

/**
 * How many of `audience` the limits let go out from `startMs`, day by day in the profile's zone: the
 * sustained rate over the rest of each day, each calendar day's allowance (cap, warm-up), a rolling cap as
 * a daily one, the first day less what was sent in it already. Returns when the last goes out (ms). A warm-up that never ends would be a bug: a run is
 * forecast over ten years at most.
 */
export function finishUnderLimits(audience: number, startMs: number, limits: SendLimits, sentToday = 0): number {
  const rate = sustainedRate(limits);
  const msPer = rate ? 1000 / rate : 0;
  const rolling = limits.dailyCapWindow === 'rolling' ? limits.dailyCap : null;
  let left = audience;
  let t = startMs;
  for (let days = 0; left > 0 && days < 3660; days++) {
    const next = nextDayStart(limits.timeZone, t);
    const allowed = calendarAllowance(limits, localDay(limits.timeZone, t));
    const allowance = allowed === null || days > 0 ? allowed : Math.max(0, allowed - sentToday);
    const byRate = msPer > 0 ? Math.ceil((next - t) / msPer) : left;
    const today = Math.min(left, allowance ?? left, rolling ?? left, byRate);
    left -= today;
    t = left > 0 ? next : t + today * msPer;
  }
  return t;
}
