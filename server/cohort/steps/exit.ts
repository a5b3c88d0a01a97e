/** A campaign's Exit: every due recipient has finished the flow. */
import type { ExitStep } from '../../../domain/flow/plan';
import { completeDueRecipients } from '../../db/due-recipients';
import type { CohortStep } from '../step';

export const exit: CohortStep<ExitStep> = {
  sentInBatches: false,
  advance: ({ db, runId, nodeId, nowMs }) => completeDueRecipients(db, runId, nodeId, nowMs),
};
