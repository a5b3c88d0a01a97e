/**
 * A campaign's Webhook: not supported (compile refuses a Webhook in a flow with an audience trigger), so
 * it moves no one. Recipients due at one are reported stuck and the run fails, naming the step.
 */
import type { WebhookStep } from '../../../domain/flow/plan';
import type { CohortStep } from '../step';

export const webhook: CohortStep<WebhookStep> = {
  sentInBatches: false,
  advance: async () => 0,
};
