/**
 * A journey's Wait until: waits, at most the step's longest wait, for an API event (the journey's
 * `event` signal, with the step's property filters) or for the contact to match a condition (checked on
 * arrival by the chooseBranch activity, and again at each API event for the contact: events are what
 * change a contact's attributes). A durable `condition(…, timeout)`: no timer or poll of our own.
 */
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { eventMatches } from '../../domain/flow/event-match';
import type { ContactFilter } from '../../domain/contact-filter';
import type { WaitUntilStep } from '../../domain/flow/plan';
import { failedAt, type Journey, type JourneyStep, waitFor } from '../journey-step';

const { chooseBranch } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Whether the contact matches the filter now (its answer is in the history, so a replay sees the same). */
async function contactMatches(journey: Journey, filter: ContactFilter): Promise<boolean> {
  const test = { kind: 'attributes' as const, filter };
  const step = { branches: [{ id: 'met', label: 'Condition met', test, next: 'met' }], otherwise: 'no' };
  return (await chooseBranch({ runId: journey.runId, contactId: journey.contactId, step, sends: {} })).branch === 'met';
}

export const waitUntil: JourneyStep<WaitUntilStep> = async (journey, nodeId, step) => {
  const { until } = step;
  if (until.kind === 'event') {
    let came = false;
    journey.listen = (event) => {
      if (eventMatches(until.match, event, journey.entryEvent)) came = true;
    };
    try {
      await waitFor(journey, step.maxMs, () => came);
    } finally {
      journey.listen = undefined;
    }
    return { next: came ? step.met : step.timedOut };
  }
  let heard = 0;
  journey.listen = () => {
    heard += 1;
  };
  try {
    const deadline = Date.now() + step.maxMs;
    // Events counted before each check: one that comes while the activity reads the contact wakes the next wait.
    let seen = heard;
    if (await contactMatches(journey, until.filter)) return { next: step.met };
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || !(await waitFor(journey, left, () => heard > seen)) || journey.convertedAt !== undefined) return { next: step.timedOut };
      seen = heard;
      if (await contactMatches(journey, until.filter)) return { next: step.met };
    }
  } catch (err) {
    if (err instanceof ActivityFailure) return failedAt(journey, nodeId, err.cause?.message ?? err.message);
    throw err;
  } finally {
    journey.listen = undefined;
  }
};
