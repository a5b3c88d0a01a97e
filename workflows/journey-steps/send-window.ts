/**
 * A journey's Send window: the sendWindowDueAt activity says when this contact may be sent to (its
 * answer is in the history, so a replay sleeps until the same instant), then the journey sleeps.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { SendWindowStep } from '../../domain/flow/plan';
import { type JourneyStep, waitFor } from '../journey-step';

const { sendWindowDueAt } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

// A step type added after the first histories were recorded: none of them reaches it, so it needs no patched().
export const sendWindow: JourneyStep<SendWindowStep> = async (journey, _nodeId, step) => {
  const { dueAt } = await sendWindowDueAt({ contactId: journey.contactId, step, now: Date.now(), rand: Math.random() });
  await waitFor(journey, Math.max(0, dueAt - Date.now()));
  return { next: step.next };
};
