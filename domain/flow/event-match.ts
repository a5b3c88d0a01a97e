/**
 * Which API events a running journey listens to: an event name and a few typed filters on the event's
 * properties (the `attributes` sent with it), e.g. `purchased` where `cart_id` is the one of the event
 * that started the journey. Used by a flow's goal and by the Wait until step. Pure: zod only.
 */
import { z } from 'zod';
import { AttributeName, type AttributeValue } from '../contact';
import type { Plan } from './plan';

/** An event name as `POST /api/v1/events` names it: e.g. signed_up, order.paid. */
export const EVENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;
export const EVENT_NAME_HINT = 'letters, digits and _ . : - (at most 100, starting with a letter or digit), e.g. signed_up';

/** At most this many filters on one event (keep them small: they run in the workflow). */
export const MAX_EVENT_FILTERS = 5;

export const EventPropertyFilter = z.discriminatedUnion(
  'op',
  [
    /** The property has this value (text, number or true/false; text compares exactly). */
    z.object({
      property: AttributeName,
      op: z.literal('equals'),
      value: z.union([z.string().max(200, 'a value is at most 200 characters'), z.number().finite(), z.boolean()], {
        error: 'enter the value to compare with: text, a number, true or false',
      }),
    }),
    /** The event carries the property (any value but null). */
    z.object({ property: AttributeName, op: z.literal('exists') }),
    /** The property has the value the event that started the journey had (e.g. the same cart_id). */
    z.object({ property: AttributeName, op: z.literal('sameAsEntry') }),
  ],
  { error: 'a property filter is equals (with a value), exists or sameAsEntry' },
);
export type EventPropertyFilter = z.output<typeof EventPropertyFilter>;

export const EventMatch = z.object({
  event: z.string({ error: `name the event: ${EVENT_NAME_HINT}` }).regex(EVENT_NAME, `name the event: ${EVENT_NAME_HINT}`),
  where: z
    .array(EventPropertyFilter, { error: 'where must be a list of property filters' })
    .max(MAX_EVENT_FILTERS, `at most ${MAX_EVENT_FILTERS} property filters`)
    .default([]),
});
export type EventMatch = z.output<typeof EventMatch>;

export type EventProperties = Record<string, AttributeValue | null>;

/** An API event as a running journey receives it (the journey's `event` signal). */
export interface JourneyEvent {
  event: string;
  properties: EventProperties;
}

const has = (props: EventProperties | undefined, name: string) => props !== undefined && Object.hasOwn(props, name) && props[name] !== null;

/** Whether the event is the one `match` waits for; `entry` is the properties of the event that started the journey. */
export function eventMatches(match: EventMatch, event: JourneyEvent, entry?: EventProperties): boolean {
  if (event.event !== match.event) return false;
  return match.where.every((f) => {
    if (!has(event.properties, f.property)) return false;
    const value = event.properties[f.property];
    if (f.op === 'exists') return true;
    if (f.op === 'equals') return value === f.value;
    return has(entry, f.property) && entry?.[f.property] === value;
  });
}

/** One line: `purchased where cart_id is the entry event's`. */
export function describeEventMatch(match: EventMatch): string {
  const filters = match.where.map((f) =>
    f.op === 'equals' ? `${f.property} = ${JSON.stringify(f.value)}` : f.op === 'exists' ? `${f.property} is set` : `${f.property} as on entry`,
  );
  return filters.length > 0 ? `${match.event} where ${filters.join(' and ')}` : match.event;
}

/**
 * Whether a journey on this plan may need to hear an API event named so: its goal's event, a Wait
 * until's event, or any event while a Wait until waits on a condition (events change attributes).
 */
export function hearsEvent(plan: Plan, event: string): boolean {
  if (plan.goal?.event === event) return true;
  return Object.values(plan.steps).some((s) => s.type === 'waitUntil' && (s.until.kind === 'contact' || s.until.match.event === event));
}
