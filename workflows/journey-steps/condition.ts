/**
 * A journey's Condition: the chooseBranch activity reads the contact and its lists; its result in the
 * history makes a replay take the same branch. The journey passes the outcomes of its own sends.
 */
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { ConditionStep } from '../../domain/flow/plan';
import { failedAt, type JourneyStep } from '../journey-step';

const { chooseBranch } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export const condition: JourneyStep<ConditionStep> = async (journey, nodeId, step) => {
  try {
    const { runId, contactId } = journey;
    return {
      next: (await chooseBranch({ runId, contactId, step: { branches: step.branches, otherwise: step.otherwise }, sends: { ...journey.outcomes } }))
        .next,
    };
  } catch (err) {
    if (err instanceof ActivityFailure) return failedAt(journey, nodeId, err.cause?.message ?? err.message);
    throw err;
  }
};
