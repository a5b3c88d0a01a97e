/**
 * Send window: wait until the next time of the week at which mail may go out (e.g. Mon–Fri
 * 09:00–17:00), in the contact's own time zone (their `timezone` attribute), or the node's time
 * zone for contacts without one. Randomize spreads contacts across the window. The time math is
 * domain/flow/send-window.ts.
 */
import { z } from 'zod';
import { isTimeZone, TIMEZONE_ATTRIBUTE } from '../../contact';
import { nodeId, type NodeKind, position, stepName } from '../node';
import { daysText, minutesOf, type SendWindow, TIME_OF_DAY, WEEKDAYS, type Weekday } from '../send-window';

const timeOfDay = z.string().regex(TIME_OF_DAY, 'write a time of day as HH:MM, 24-hour (e.g. 09:00)');

export const SendWindowData = z.object({
  days: z.array(z.enum(WEEKDAYS, { error: 'days are mon, tue, wed, thu, fri, sat, sun' })).max(7),
  from: timeOfDay,
  to: timeOfDay,
  /** For contacts without a valid `timezone` attribute. */
  timeZone: z.string().max(64, 'a time zone name is at most 64 characters'),
  randomize: z.boolean().default(false),
});
export type SendWindowData = z.infer<typeof SendWindowData>;

export const SendWindowNode = z.object({ id: nodeId, type: z.literal('sendWindow'), name: stepName, position, data: SendWindowData });

export interface SendWindowStep extends SendWindow {
  type: 'sendWindow';
  days: Weekday[];
  /** The contact's `timezone` attribute wins; this is for contacts without one. */
  timeZone: string;
  randomize: boolean;
  next: string;
}

/** The zone a contact's window is read in: their `timezone` attribute when it names a zone, else the node's. */
export function contactZone(attributes: Readonly<Record<string, unknown>> | undefined, fallback: string): string {
  const own = attributes?.[TIMEZONE_ATTRIBUTE];
  return typeof own === 'string' && isTimeZone(own) ? own : fallback;
}

function summary(data: SendWindowData): string {
  if (data.days.length === 0) return 'Send window: tick the days';
  const spread = data.randomize ? ', spread' : '';
  return `Send ${daysText(data.days)} ${data.from}–${data.to} in the contact's time zone (else ${data.timeZone || 'not set'})${spread}`;
}

export const sendWindow: NodeKind<'sendWindow', SendWindowData, SendWindowStep> = {
  type: 'sendWindow',
  label: 'Send window',
  outputs: 1,
  unique: false,
  defaults: () => ({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00', timeZone: 'UTC', randomize: false }),
  summary,
  check: (node) => {
    const { days, from, to, timeZone } = node.data;
    const errors = [];
    if (days.length === 0) errors.push({ nodeId: node.id, field: 'data.days', message: 'tick at least one day on which emails may go out' });
    if (minutesOf(from) >= minutesOf(to)) {
      errors.push({
        nodeId: node.id,
        field: 'data.to',
        message: `the window must close after it opens: make "Until" (${to}) later than "From" (${from}); a window cannot run past midnight`,
      });
    }
    if (!isTimeZone(timeZone)) {
      errors.push({
        nodeId: node.id,
        field: 'data.timeZone',
        message: `"${timeZone.slice(0, 64)}" is not a time zone; choose one such as Europe/Berlin or America/New_York`,
      });
    }
    return errors;
  },
  step: (data, next) => ({
    type: 'sendWindow',
    days: WEEKDAYS.filter((d) => data.days.includes(d)),
    from: data.from,
    to: data.to,
    timeZone: data.timeZone,
    randomize: data.randomize,
    next,
  }),
};
