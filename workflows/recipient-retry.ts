/**
 * One recipient whose send still failed after its campaign batch's quick retries: its own workflow,
 * so "the history of a failed send" holds exactly the attempts that matter. It retries the send
 * durably (throttle replies wait for a slot), settles the recipient, and wakes the campaign.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { outcomeAttribute, type RetryInput, type RetryOutcome, type RetryResult, wakeSignal } from './contracts';
import { sendStep } from './send-step';

const { settleRecipient } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute' });

export async function recipientRetryWorkflow(input: RetryInput): Promise<RetryResult> {
  const { runId, nodeId, contactId, step } = input;
  let outcome: RetryOutcome = 'sent';
  let error: string | undefined;
  try {
    // Unsubscribed while it waited: nothing was sent, and the recipient leaves the flow (same commands, so replay-safe).
    if ((await sendStep(runId, nodeId, contactId, step)).skipped) outcome = 'skipped';
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    // Its profile holds sends whose outcome is unknown: a person decides (the run page's Resend).
    outcome = err.cause instanceof ApplicationFailure && err.cause.type === 'HeldForReview' ? 'held' : 'failed';
    error = err.cause?.message ?? err.message;
  }
  await settleRecipient({ runId, contactId, outcome, next: step.next });
  // Listed by outcome in the Web UI (a run's failures). Retries settled before this was recorded did not.
  if (patched('outcome-search-attribute')) upsertSearchAttributes([{ key: outcomeAttribute, value: outcome }]);
  try {
    await getExternalWorkflowHandle(input.campaignWorkflowId).signal(wakeSignal);
  } catch {
    // The campaign has finished (or was cancelled): nobody to wake.
  }
  return { outcome, ...(error ? { error } : {}) };
}
