/**
 * A Trigger on a date attribute: "7 days before renewal_date, at 09:00 in the contact's zone, every
 * year". Pure (zod and Intl only): the editor checks with it, the worker computes send moments with it.
 *
 * An occurrence is the date itself (or, every year, its anniversary: Feb 29 falls on Feb 28 in a year
 * that has none); its moment is that day moved N days, at the time of day on the contact's wall clock.
 * A time the clock skips (a spring-forward gap) is the first wall time after it (02:30 → 03:00), and
 * a time the clock repeats (autumn) is its first, as in Send windows.
 */
import { z } from 'zod';
import { AttributeName } from '../contact';
import { TIME_OF_DAY, zoneOffsetMs } from './send-window';

export const MAX_OFFSET_DAYS = 365;

export const DateTriggerData = z.object({
  /** A date attribute of contacts (YYYY-MM-DD), e.g. birthday or renewal_date. */
  attribute: AttributeName,
  /** How many days before or after the date the contact enters. */
  days: z
    .number({ error: 'days must be a whole number of days' })
    .int('days must be a whole number of days')
    .min(0, 'days must be 0 or more')
    .max(MAX_OFFSET_DAYS, `days must be at most ${MAX_OFFSET_DAYS}`),
  direction: z.enum(['before', 'after'], { error: 'direction must be before or after' }),
  /** The time of day, HH:MM (24-hour), on the contact's clock. */
  at: z.string().max(20, 'write the time of day as HH:MM, e.g. 09:00'),
  /** Anniversaries: every year on the date's day and month, not once. */
  everyYear: z.boolean(),
  /** The zone of contacts without a `timezone` attribute (an IANA name, e.g. Europe/Berlin). */
  timeZone: z.string().max(64, 'a time zone name is at most 64 characters'),
});
export type DateTriggerData = z.infer<typeof DateTriggerData>;

export const defaultDateTrigger = (): DateTriggerData => ({
  attribute: 'birthday',
  days: 0,
  direction: 'before',
  at: '09:00',
  everyYear: true,
  timeZone: 'UTC',
});

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

const DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[T ])/;

/** A stored date attribute, read leniently: YYYY-MM-DD, a single-digit month or day, or a full ISO time (its date part). */
export function parseDateValue(value: unknown): CalendarDate | undefined {
  if (typeof value !== 'string') return undefined;
  const m = DATE.exec(value.trim());
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day ? { year, month, day } : undefined;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
export const dateText = (d: CalendarDate) => `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;

const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** The date's anniversary in `year`: Feb 29 is Feb 28 in a year without one. */
export function anniversary(date: CalendarDate, year: number): CalendarDate {
  return date.month === 2 && date.day === 29 && !isLeap(year) ? { year, month: 2, day: 28 } : { ...date, year };
}

/** The calendar date `days` days after `date` (before, when negative). */
export function addDays(date: CalendarDate, days: number): CalendarDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** The instant the zone's wall clock shows `time` (HH:MM) on `date`: a skipped time is the first wall time after the gap; a repeated one its first. */
export function wallTimeToInstant(date: CalendarDate, time: string, zone: string): number {
  if (!TIME_OF_DAY.test(time)) throw new RangeError(`"${time}" is not a time of day (HH:MM)`);
  const wall = Date.UTC(date.year, date.month - 1, date.day, Number(time.slice(0, 2)), Number(time.slice(3, 5)));
  const DAY = 86_400_000;
  const before = wall - zoneOffsetMs(wall - DAY, zone);
  const after = wall - zoneOffsetMs(wall + DAY, zone);
  const shows = (t: number) => t + zoneOffsetMs(t, zone) === wall;
  const fits = [before, after].filter(shows).sort((a, b) => a - b);
  if (fits[0] !== undefined) return fits[0];
  // In the gap: the clock jumps over `wall` at an instant between the two readings; find it to the second.
  let [lo, hi] = [Math.min(before, after), Math.max(before, after)];
  const offsetBefore = zoneOffsetMs(lo, zone);
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (zoneOffsetMs(mid, zone) === offsetBefore) lo = mid;
    else hi = mid;
  }
  return hi;
}

export interface Occurrence {
  /** The date (or its anniversary) this entry is for, YYYY-MM-DD: one journey per contact and occurrence. */
  occurrence: string;
  /** When the contact enters: ms since the epoch. */
  at: number;
}

/**
 * The moments in [from, to) at which a contact whose attribute holds `value` enters, in `zone`.
 * None for a value that is not a date. Every year: from the date's own year on.
 */
export function occurrencesBetween(value: unknown, trigger: DateTriggerData, zone: string, from: number, to: number): Occurrence[] {
  const date = parseDateValue(value);
  if (!date || to <= from) return [];
  const shift = trigger.direction === 'after' ? trigger.days : -trigger.days;
  const years = trigger.everyYear ? range(Math.max(date.year, new Date(from).getUTCFullYear() - 2), new Date(to).getUTCFullYear() + 2) : [date.year];
  return years.flatMap((year) => {
    const day = anniversary(date, year);
    const at = wallTimeToInstant(addDays(day, shift), trigger.at, zone);
    return at >= from && at < to ? [{ occurrence: dateText(day), at }] : [];
  });
}

const range = (first: number, last: number) => Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);

/** How the Trigger reads on the canvas and in the flow's summary. */
export function describeDateTrigger(d: DateTriggerData): string {
  const when = d.days === 0 ? `on ${d.attribute}` : `${d.days} day${d.days === 1 ? '' : 's'} ${d.direction} ${d.attribute}`;
  return `A contact enters ${when} at ${d.at} on their clock${d.everyYear ? ', every year' : ''}`;
}
