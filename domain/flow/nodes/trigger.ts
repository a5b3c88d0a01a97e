/** Trigger: how contacts enter the flow. Not a step of the plan: the plan starts at the node after it. */
import { z } from 'zod';
import { isTimeZone } from '../../contact';
import { DateTriggerData, describeDateTrigger } from '../date-trigger';
import { describeEventMatch, EVENT_NAME, EVENT_NAME_HINT, EventMatch } from '../event-match';
import { TIME_OF_DAY } from '../send-window';
import { nodeId, type NodeKind, position, stepName } from '../node';

export { EVENT_NAME, EVENT_NAME_HINT };

/**
 * Whether a contact who entered the flow by an event may enter it again: once: never again;
 * one_at_a_time: again once their journey has ended; always: every event starts a journey.
 */
export const REENTRY_POLICIES = ['once', 'one_at_a_time', 'always'] as const;
export type ReentryPolicy = (typeof REENTRY_POLICIES)[number];

export const TriggerData = z.object({
  /** event: a contact enters by an API event; list: when added to a list; segment: on entering a segment; date: on a date attribute; audience: a run for chosen contacts. */
  source: z.enum(['event', 'list', 'segment', 'audience', 'date']).default('audience'),
  /** The event that starts a journey (source event). */
  event: z.string().max(100, 'an event name is at most 100 characters').optional(),
  /** The list whose new members start a journey (source list). */
  listId: z.string().max(100, 'a list id is at most 100 characters').optional(),
  /** The segment whose new members start a journey (source segment): contacts in it when the flow is published do not enter. */
  segmentId: z.string().max(100, 'a segment id is at most 100 characters').optional(),
  /** Goal and exit (journeys): entering this segment ends the contact's journey at once, counted as converted at the step they were in. */
  goalSegmentId: z.string().max(100, 'a segment id is at most 100 characters').optional(),
  /** Re-entry for contacts entering by an event or a list; default once ever. */
  reentry: z.enum(REENTRY_POLICIES, { error: 'reentry must be once, one_at_a_time or always' }).optional(),
  /** The date attribute, offset and time of day (source date); re-entry is once per occurrence. */
  date: DateTriggerData.optional(),
  /** Goal and exit (source event): this event ends the contact's journey at once, counted as converted at the step they were in. */
  goal: EventMatch.optional(),
});
export type TriggerData = z.infer<typeof TriggerData>;

export const TriggerNode = z.object({ id: nodeId, type: z.literal('trigger'), name: stepName, position, data: TriggerData });

const REENTRY_TEXT: Record<ReentryPolicy, string> = { once: 'once ever', one_at_a_time: 'one journey at a time', always: 'every time' };

export const trigger: NodeKind<'trigger', TriggerData, never> = {
  type: 'trigger',
  label: 'Trigger',
  outputs: 1,
  unique: true,
  defaults: () => ({ source: 'audience' }),
  summary: (data) =>
    data.source === 'event'
      ? `A contact enters on the API event "${data.event ?? ''}" (${REENTRY_TEXT[data.reentry ?? 'once']})${data.goal ? `; goal: ${describeEventMatch(data.goal)}` : ''}`
      : data.source === 'list'
        ? `A contact enters when added to a list (${REENTRY_TEXT[data.reentry ?? 'once']})`
        : data.source === 'segment'
          ? `A contact enters on entering a segment (${REENTRY_TEXT[data.reentry ?? 'once']})`
          : data.source === 'date'
            ? data.date
              ? describeDateTrigger(data.date)
              : 'A contact enters on a date attribute'
            : 'Contacts enter when you start a run',
  check: (node) => {
    if (node.data.source === 'event' && !EVENT_NAME.test(node.data.event ?? ''))
      return [{ nodeId: node.id, field: 'data.event', message: `name the event that starts this flow: ${EVENT_NAME_HINT}` }];
    if (node.data.source === 'list' && !node.data.listId)
      return [{ nodeId: node.id, field: 'data.listId', message: 'choose the list whose new members enter this flow' }];
    if (node.data.source === 'date') return dateProblems(node.id, node.data.date);
    if (node.data.source === 'segment' && !node.data.segmentId)
      return [{ nodeId: node.id, field: 'data.segmentId', message: 'choose the segment whose new members enter this flow' }];
    return [];
  },
  step: () => undefined,
};

/** What is wrong with a date Trigger's fields, each naming the field and the fix. */
function dateProblems(nodeId: string, date: DateTriggerData | undefined) {
  if (!date) return [{ nodeId, field: 'data.date.attribute', message: 'choose the date attribute (e.g. birthday) that starts this flow' }];
  const problems = [];
  if (!TIME_OF_DAY.test(date.at))
    problems.push({ nodeId, field: 'data.date.at', message: `write the time of day as HH:MM, e.g. 09:00 (not "${date.at}")` });
  if (!isTimeZone(date.timeZone))
    problems.push({
      nodeId,
      field: 'data.date.timeZone',
      message: 'choose a time zone such as Europe/Berlin for contacts without a timezone attribute',
    });
  return problems;
}
