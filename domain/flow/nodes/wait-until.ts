/**
 * Wait until: the journey waits for an API event (with property filters) or for the contact to match a
 * condition, at most a maximum wait; then it goes down "Event came" (or "Condition met") or "Timed out".
 * In a campaign each recipient waits in the cohort table (server/cohort/steps/wait-until.ts), woken by an API event
 * for them (server/campaign-events.ts); a campaign has no entering event, so no `sameAsEntry` filter there.
 */
import { z } from 'zod';
import { ContactFilter, describeFilter } from '../../contact-filter';
import { describeEventMatch, EventMatch } from '../event-match';
import { type NodeBranch, nodeId, type NodeKind, position, stepName } from '../node';
import { DURATION_UNITS, UNIT_MS } from './delay';

export const WAIT_MET = 'met';
export const WAIT_TIMED_OUT = 'timedOut';

export const WaitFor = z.discriminatedUnion(
  'kind',
  [
    /** An API event for this contact, arriving after the contact reached the step. */
    z.object({ kind: z.literal('event'), match: EventMatch }),
    /** The contact matches the filter: checked on arrival and again at each API event for the contact. */
    z.object({ kind: z.literal('contact'), filter: ContactFilter }),
  ],
  { error: 'wait for an event (kind event) or a condition on the contact (kind contact)' },
);
export type WaitFor = z.output<typeof WaitFor>;

export const WaitUntilData = z.object({
  until: WaitFor,
  /** The longest wait, in `unit`s. */
  maxWait: z
    .number({ error: 'enter the longest wait (more than 0)' })
    .finite('enter the longest wait (more than 0)')
    .positive('enter a longest wait of more than 0')
    .max(3650, 'enter at most 3650'),
  unit: z.enum(DURATION_UNITS, { error: `unit must be one of ${DURATION_UNITS.join(', ')}` }),
});
export type WaitUntilData = z.output<typeof WaitUntilData>;

export const WaitUntilNode = z.object({ id: nodeId, type: z.literal('waitUntil'), name: stepName, position, data: WaitUntilData });

export interface WaitUntilStep {
  type: 'waitUntil';
  until: WaitFor;
  maxMs: number;
  /** The next node when the event came (or the condition was met). */
  met: string;
  /** The next node after the longest wait. */
  timedOut: string;
}

/** Its two outputs, in order: met, then timed out. */
export const waitUntilOutputs = (data: Pick<WaitUntilData, 'until'>): NodeBranch[] => [
  { id: WAIT_MET, label: data.until.kind === 'event' ? 'Event came' : 'Condition met' },
  { id: WAIT_TIMED_OUT, label: 'Timed out' },
];

const unitText = (n: number, unit: string) => (n === 1 ? unit.replace(/s$/, '') : unit);

function summary(data: WaitUntilData): string {
  const what = data.until.kind === 'event' ? `"${describeEventMatch(data.until.match)}"` : describeFilter(data.until.filter);
  const most = Number.isFinite(data.maxWait) ? `at most ${data.maxWait} ${unitText(data.maxWait, data.unit)}` : 'set the longest wait';
  // The label says "Wait until" already (on the canvas and in step titles).
  return `${what} (${most})`;
}

export const waitUntil: NodeKind<'waitUntil', WaitUntilData, WaitUntilStep> = {
  type: 'waitUntil',
  label: 'Wait until',
  outputs: 'branches',
  branches: waitUntilOutputs,
  unique: false,
  defaults: () => ({ until: { kind: 'event', match: { event: 'purchased', where: [] } }, maxWait: 2, unit: 'hours' }),
  summary,
  check: () => [],
  step: (data, _next, nextByBranch) => ({
    type: 'waitUntil',
    until: data.until,
    maxMs: Math.round(data.maxWait * UNIT_MS[data.unit]),
    met: nextByBranch[WAIT_MET] ?? '',
    timedOut: nextByBranch[WAIT_TIMED_OUT] ?? '',
  }),
};
