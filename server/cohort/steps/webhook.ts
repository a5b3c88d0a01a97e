/**
 * A campaign's Webhook: its due recipients are called by the campaign workflow, a page at a time (the
 * callWebhooks activity, server/cohort/webhook-page.ts), which moves each one down its branch.
 */
import type { WebhookStep } from '../../../domain/flow/plan';
import type { CohortStep } from '../step';

export const webhook: CohortStep<WebhookStep> = {
  sentInBatches: false,
  calledInPages: true,
  advance: async () => 0,
};
