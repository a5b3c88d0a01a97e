/**
 * A journey's A/B split: the branch is drawn in workflow code from the journey's seed (its run id) and
 * the contact id: no activity, and a replay draws the same.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { journeySeed, type SplitStep, splitBranch, splitDraw } from '../../domain/flow/nodes/split';
import type { JourneyStep } from '../journey-step';

export const split: JourneyStep<SplitStep> = async (journey, nodeId, step) => {
  // A thrown RangeError would fail the workflow task and retry it forever: fail the journey instead.
  if (step.branches.length === 0) throw ApplicationFailure.nonRetryable(`plan step "${nodeId}": an A/B split has no branches`);
  return { next: splitBranch(step, splitDraw(journeySeed(journey.runId), nodeId, journey.contactId)).next };
};
