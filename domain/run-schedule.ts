/** When a run starts, and over how long its first send is spread: the start API, the start page and the run page share these rules. */
import { z } from 'zod';
import { finishUnderLimits, limitsOf, type SendLimits } from './send-limits';

/** A spread longer than a week is a different campaign, not a gentle start. */
export const MAX_SPREAD_HOURS = 168;

/** A scheduled start: an ISO date and time with its zone (Z or an offset), checked to be in the future when the run is started. */
export const StartAt = z.iso.datetime({ offset: true, error: 'startAt must be an ISO date and time with its zone, e.g. 2026-12-08T09:00:00Z' });

export const SpreadHours = z
  .number({ error: 'spreadHours must be a number of hours' })
  .int('spreadHours must be a whole number of hours')
  .min(1, 'spreadHours must be at least 1')
  .max(MAX_SPREAD_HOURS, `spreadHours must be at most ${MAX_SPREAD_HOURS} (a week)`);

/** What a start request may add to "start now for this audience": a start time, a spread of the first send. */
export const RunSchedule = z.object({ startAt: StartAt.optional(), spreadHours: SpreadHours.optional() });

/** Why `startAt` cannot be a run's start time now, or undefined when it can (it is in the future). */
export function startAtProblem(startAt: Date, nowMs: number): string | undefined {
  if (Number.isNaN(startAt.getTime())) return 'startAt must be an ISO date and time with its zone, e.g. 2026-12-08T09:00:00Z';
  if (startAt.getTime() <= nowMs) {
    return `startAt must be in the future: ${startAt.toISOString()} has passed (leave it out to start now)`;
  }
  return undefined;
}

/** A minute at least between a spread start's ticks: a 200,000 audience over 6 hours is 556 a minute. */
const MIN_TICK_MS = 60_000;

/** A spread start's ticks: every `tickMs`, `perTick` more recipients, `ticks` times (no more ticks than recipients). */
export function spreadTicks(audience: number, hours: number): { ticks: number; tickMs: number; perTick: number } {
  const windowMs = hours * 3_600_000;
  const ticks = Math.max(1, Math.min(audience, Math.floor(windowMs / MIN_TICK_MS)));
  return { ticks, tickMs: Math.floor(windowMs / ticks), perTick: Math.ceil(audience / ticks) };
}

/**
 * When a run's last first-send should go out (ms), from when it starts: at the sender's pace (messages a
 * second; none known: as fast as the server takes them, taken as instant), within its limits (per minute,
 * per hour, each day's cap and warm-up allowance, counted in the profile's time zone; without `limits`, a
 * daily cap per UTC day), and no sooner than a spread's last tick. A daily cap of 50,000 turns a 200,000
 * audience into four days.
 */
export function forecastFinish(run: {
  audience: number;
  startMs: number;
  ratePerSecond: number | null;
  dailyCap: number | null;
  limits?: SendLimits;
  spreadHours?: number | null;
}): number {
  const t = finishUnderLimits(run.audience, run.startMs, run.limits ?? limitsOf(run));
  if (!run.spreadHours || run.audience === 0) return t;
  const { ticks, tickMs } = spreadTicks(run.audience, run.spreadHours);
  return Math.max(t, run.startMs + (ticks - 1) * tickMs);
}
