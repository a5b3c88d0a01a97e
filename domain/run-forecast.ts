/**
 * When a run should finish, from what is known before it sends a thing: its audience, its sender's
 * pace and limits, the Delays and Send window on its path, and its schedule. Pure: the start page's
 * review and the run page's estimated finish share it (the run page from the start, not only once
 * messages have gone out).
 */
import type { SendWindow } from './flow/send-window';
import { inSendWindow, windowInterval } from './flow/send-window';
import { nextsOf, type Plan } from './flow/plan';
import { spreadTicks } from './run-schedule';
import { finishUnderLimits, type SendLimits } from './send-limits';

const UNIT_MS = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/**
 * At most `max` messages a `per`: a daily cap is one per UTC day (it counts from midnight UTC, as the
 * sender counts it); shorter limits are counted in windows from the hour or minute.
 */
export interface SendLimit {
  max: number;
  per: keyof typeof UNIT_MS;
}

/** What a plan's path does to the time a run takes (the longest path: the run finishes with its last recipient). */
export interface PathTiming {
  /** The Delays (their longest waits) before the first Send. */
  beforeFirstSendMs: number;
  /** The Delays from the first Send to the end of the flow. */
  afterFirstSendMs: number;
  /** How many Send steps a recipient passes at most (each one a message under the same limits). */
  sends: number;
  /** The Send window before the first Send, in the step's zone: the first send goes out only while it is open. */
  window: { window: SendWindow; zone: string } | null;
}

export interface ForecastInput {
  audience: number;
  startMs: number;
  /** Messages a second (configured or learned); null: as fast as the server takes them, taken as instant. */
  ratePerSecond: number | null;
  /** A daily cap (kept for callers that have only that); the same as a `{ max, per: 'day' }` limit. */
  dailyCap?: number | null;
  limits?: readonly SendLimit[];
  spreadHours?: number | null;
  path?: PathTiming;
  /**
   * One sender's own limits (per minute and hour, its daily cap in its zone or over 24 hours, its warm-up)
   * and what it sent today: the forecast is no sooner than they let every message go.
   */
  own?: { limits: SendLimits; sentToday?: number };
}

/** When the last recipient should be done (ms). A daily cap of 50,000 turns a 200,000 audience into four days. */
export function forecastFinish(run: ForecastInput): number {
  const limits = [...(run.limits ?? []), ...(run.dailyCap ? [{ max: run.dailyCap, per: 'day' as const }] : [])].filter((l) => l.max > 0);
  const path = run.path ?? { beforeFirstSendMs: 0, afterFirstSendMs: 0, sends: 1, window: null };
  if (run.audience <= 0 || path.sends === 0) return run.startMs + path.beforeFirstSendMs + path.afterFirstSendMs;
  const first = run.startMs + path.beforeFirstSendMs;
  let firstDone = lastMessageAt(run.audience, first, run.ratePerSecond, limits, path.window);
  if (run.spreadHours) {
    const { ticks, tickMs } = spreadTicks(run.audience, run.spreadHours);
    firstDone = Math.max(firstDone, first + (ticks - 1) * tickMs);
  }
  // Later Sends go after their Delays, under the same limits as the first: whichever ends later.
  const everyMessage = path.sends > 1 ? lastMessageAt(run.audience * path.sends, first, run.ratePerSecond, limits, path.window) : firstDone;
  const own = run.own ? finishUnderLimits(run.audience * path.sends, first, run.own.limits, run.own.sentToday ?? 0) + path.afterFirstSendMs : 0;
  return Math.max(firstDone + path.afterFirstSendMs, everyMessage, own);
}

/** When the last of `messages` goes out from `startMs`: at the pace, within every limit, while the window is open. */
function lastMessageAt(messages: number, startMs: number, rate: number | null, limits: readonly SendLimit[], open: PathTiming['window']): number {
  const msPer = rate && rate > 0 ? 1000 / rate : 0;
  const windowEnd = (l: SendLimit, t: number) => (Math.floor(t / UNIT_MS[l.per]) + 1) * UNIT_MS[l.per];
  const used = limits.map(() => 0);
  const ends = limits.map((l) => windowEnd(l, startMs));
  let t = startMs;
  let left = messages;
  // Each turn ends at a limit's window, the window's closing, or a limit reached: bounded by the audience.
  while (left > 0) {
    if (open && !inSendWindow(t, open.window, open.zone)) t = windowInterval(t, open.window, open.zone).start;
    limits.forEach((l, i) => {
      if ((ends[i] ?? 0) <= t) {
        used[i] = 0;
        ends[i] = windowEnd(l, t);
      }
    });
    const closes = open ? windowInterval(t, open.window, open.zone).end : Number.POSITIVE_INFINITY;
    const until = Math.min(closes, ...ends);
    const room = Math.min(...limits.map((l, i) => l.max - (used[i] ?? 0)));
    const inTime = msPer > 0 ? Math.max(1, Math.ceil((until - t) / msPer)) : Number.POSITIVE_INFINITY;
    const n = Math.min(left, room, inTime);
    left -= n;
    limits.forEach((_, i) => {
      used[i] = (used[i] ?? 0) + n;
    });
    t += n * msPer;
    if (left === 0) break;
    // A limit reached: wait for every reached one to count again.
    const reached = limits.flatMap((l, i) => ((used[i] ?? 0) >= l.max ? [ends[i] ?? t] : []));
    t = Math.max(t, reached.length > 0 ? Math.max(...reached) : until);
  }
  return t;
}

/** The longest path's timing through a plan (a flow's steps form no cycle; each step is looked at once). */
export function planTiming(plan: Pick<Plan, 'entry' | 'steps'>): PathTiming {
  const rest = new Map<string, { ms: number; sends: number }>();
  /** The longest Delays and the most Sends from a step to the end. */
  const after = (id: string): { ms: number; sends: number } => {
    const known = rest.get(id);
    if (known) return known;
    rest.set(id, { ms: 0, sends: 0 });
    const step = plan.steps[id];
    if (!step) return { ms: 0, sends: 0 };
    const nexts = nextsOf(step).map(after);
    const best = { ms: Math.max(0, ...nexts.map((n) => n.ms)), sends: Math.max(0, ...nexts.map((n) => n.sends)) };
    const own = { ms: best.ms + (step.type === 'delay' ? step.maxMs : 0), sends: best.sends + (step.type === 'sendEmail' ? 1 : 0) };
    rest.set(id, own);
    return own;
  };
  const none: PathTiming = { beforeFirstSendMs: 0, afterFirstSendMs: 0, sends: 0, window: null };
  const leads = new Map<string, PathTiming>();
  const lead = (id: string): PathTiming => {
    const known = leads.get(id);
    if (known) return known;
    leads.set(id, none);
    const timing = leadOf(id);
    leads.set(id, timing);
    return timing;
  };
  /** From a step: the Delays and the Send window before the first Send, and the rest after it. */
  const leadOf = (id: string): PathTiming => {
    const step = plan.steps[id];
    if (!step) return none;
    if (step.type === 'sendEmail') {
      const rest = after(step.next);
      return { beforeFirstSendMs: 0, afterFirstSendMs: rest.ms, sends: rest.sends + 1, window: null };
    }
    const options = nextsOf(step).map(lead);
    const longest = options.reduce((a, b) => (b.beforeFirstSendMs + b.afterFirstSendMs > a.beforeFirstSendMs + a.afterFirstSendMs ? b : a), none);
    const sends = Math.max(0, ...options.map((o) => o.sends));
    if (step.type === 'delay') return { ...longest, sends, beforeFirstSendMs: longest.beforeFirstSendMs + step.maxMs };
    if (step.type === 'sendWindow') return { ...longest, sends, window: longest.window ?? { window: step, zone: step.timeZone } };
    return { ...longest, sends };
  };
  return lead(plan.entry);
}

/** A profile's limits as the forecast reads them: per minute, per hour, its daily cap (its zone's days and warm-up: `own`). */
export function profileLimits(profile: { dailyCap: number | null; perMinute?: number | null; perHour?: number | null }): SendLimit[] {
  return [
    ...(profile.perMinute ? [{ max: profile.perMinute, per: 'minute' as const }] : []),
    ...(profile.perHour ? [{ max: profile.perHour, per: 'hour' as const }] : []),
    ...(profile.dailyCap ? [{ max: profile.dailyCap, per: 'day' as const }] : []),
  ];
}

/** A sender as the forecast reads it: the slowest pace and the tightest limits of the run's senders; one sender's own limits. */
export function slowestSender<Own>(senders: readonly { ratePerSecond: number | null; limits: readonly SendLimit[]; own?: Own }[]): {
  ratePerSecond: number | null;
  limits: SendLimit[];
  own: Own | undefined;
} {
  const rates = senders.flatMap((s) => (s.ratePerSecond ? [s.ratePerSecond] : []));
  return {
    ratePerSecond: rates.length > 0 ? Math.min(...rates) : null,
    limits: senders.flatMap((s) => s.limits),
    own: senders.length === 1 ? senders[0]?.own : undefined,
  };
}
