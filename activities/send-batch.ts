/**
 * The sendBatch activity: one Send step for a batch of a campaign's due recipients, through the batch
 * sender (server/sending/batch.ts). This adapter gives it Temporal's side: the attempt's name, its
 * cancellation and heartbeat, and the retry workflow a recipient is handed off to.
 */
import { Context } from '@temporalio/activity';
import { moveRecipient } from '../server/db/recipients';
import { type SendBatchInput, type SendBatchResult, sendBatch } from '../server/sending/batch';
import type { ActivityDeps } from '.';
import { retryWorkflowId } from '../workflows/contracts';
import { startRetryWorkflow } from './cohort';

export type { SendBatchInput, SendBatchResult };

export function createSendBatch(deps: ActivityDeps) {
  return async function sendBatchActivity(input: SendBatchInput): Promise<SendBatchResult> {
    const context = Context.current();
    const { runId, nodeId, step, campaignWorkflowId } = input;
    return sendBatch(deps, input, {
      owner: `${input.claim}#${context.info.attempt}`,
      cancelled: context.cancellationSignal,
      heartbeat: (done) => context.heartbeat({ done }),
      handOff: async (contactId) => {
        // Moved before the workflow starts: a crash in between leaves it 'retrying', and the campaign
        // starts the workflow again (ensureRetryWorkflows).
        await moveRecipient(deps.db, runId, contactId, 'sending', { to: 'retrying', workflowId: retryWorkflowId(runId, nodeId, contactId) });
        await startRetryWorkflow(deps, { runId, nodeId, contactId, step, campaignWorkflowId });
      },
    });
  };
}
