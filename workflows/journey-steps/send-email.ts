/** A journey's Send Email: the sendEmail activity, for this contact, under the journey's history. */
import { ActivityFailure } from '@temporalio/workflow';
import type { SendEmailStep } from '../../domain/flow/plan';
import { failedAt, type JourneyStep } from '../journey-step';
import { sendStep } from '../send-step';

export const sendEmail: JourneyStep<SendEmailStep> = async (journey, nodeId, step) => {
  try {
    journey.outcomes[nodeId] = (await sendStep(journey.runId, nodeId, journey.contactId, step, journey.event)).skipped ? 'skipped' : 'sent';
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    // A permanent failure ends this contact's journey (it is in the delivery log), unless a later
    // Condition tests this send's outcome: then the journey goes on, to take its "failed" branch.
    if (!step.continueOnFailure) return failedAt(journey, nodeId, err.cause?.message ?? err.message);
    journey.outcomes[nodeId] = 'failed';
    return { next: step.next };
  }
  journey.sent += 1;
  return { next: step.next };
};
