/**
 * A campaign's Send Email: its due recipients are sent by the campaign workflow, in batches (the
 * sendBatch activity), which move each one on. Here only a Send whose outcome a later Condition tests
 * (`continueOnFailure`) moves its failed and skipped recipients on, due now, instead of out of the flow.
 */
import type { SendEmailStep } from '../../../domain/flow/plan';
import { continueAfterFailedSends } from '../../db/due-recipients';
import type { CohortStep } from '../step';

export const sendEmail: CohortStep<SendEmailStep> = {
  sentInBatches: true,
  advance: async ({ db, runId, nodeId, nowMs }, step) => (step.continueOnFailure ? continueAfterFailedSends(db, runId, nodeId, step.next, nowMs) : 0),
};
