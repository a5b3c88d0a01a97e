/**
 * A campaign's Wait until: not supported (API events reach journeys only, and compile refuses a Wait
 * until in a flow with an audience trigger), so it moves no one. Recipients due at one are reported
 * stuck and the run fails, naming the step.
 */
import type { WaitUntilStep } from '../../../domain/flow/plan';
import type { CohortStep } from '../step';

export const waitUntil: CohortStep<WaitUntilStep> = {
  sentInBatches: false,
  advance: async () => 0,
};
