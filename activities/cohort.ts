/**
 * The campaign workflow's activities that move its cohort through the plan in the app database:
 * enrol the audience page by page, advance through delays and exits, settle a retried recipient,
 * and close the run. Each is safe to retry: it only moves recipients that are still where it expects.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Plan } from '../domain/flow/plan';
import { advanceDueRecipients, type CohortState, cohortState } from '../server/cohort/advance';
import { cancelRecipients, enrollAllContactsPage, moveRecipient, retryingRecipients, type RecipientMove } from '../server/db/recipients';
import { getRun, setRunStatus } from '../server/db/runs';
import type { RunStatus } from '../server/db/tables';
import { startOnce } from '../server/temporal/start-once';
import { recipientAttributes, type RetryInput, type RetryOutcome, retryWorkflowId } from '../workflows/contracts';
import type { ActivityDeps } from '.';

/** Starts a recipient's retry workflow, once: a finished one is never started again for the same send. */
export async function startRetryWorkflow(
  { db, temporal, taskQueue }: Pick<ActivityDeps, 'db' | 'temporal' | 'taskQueue'>,
  input: RetryInput,
): Promise<void> {
  const flowId = (await getRun(db, input.runId))?.flowId ?? '';
  await startOnce(temporal, 'recipientRetryWorkflow', {
    taskQueue,
    workflowId: retryWorkflowId(input.runId, input.nodeId, input.contactId),
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    args: [input],
    typedSearchAttributes: recipientAttributes({ runId: input.runId, flowId, contactId: input.contactId }),
  });
}

export function createCohortActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    /** Enrols the next page of everyone at the plan's entry, due at `dueAt`; returns the next cursor. */
    async enrollPage(input: { runId: string; entry: string; workflowId: string; dueAt: number; after: string; limit: number }) {
      return enrollAllContactsPage(db, input, input.after, input.limit);
    },

    /** Moves due recipients through the steps that need no SMTP, then says what is due, what is stuck, what is next, and how many remain. */
    async advanceCohort(input: { runId: string; plan: Plan; seed: number }): Promise<CohortState & { now: number }> {
      const now = Date.now();
      await advanceDueRecipients(db, input.runId, input.plan, input.seed, now);
      return { ...(await cohortState(db, input.runId, input.plan, now)), now };
    },

    /** A retry workflow's last word on its recipient: on to the next step (due now), failed, held, or skipped (unsubscribed meanwhile). */
    async settleRecipient(input: { runId: string; contactId: string; outcome: RetryOutcome; next: string }) {
      const move: RecipientMove = input.outcome === 'sent' ? { to: 'next', nodeId: input.next, dueAt: Date.now() } : { to: input.outcome };
      await moveRecipient(db, input.runId, input.contactId, 'retrying', move);
    },

    /** Restarts the retry workflow of any recipient handed off whose workflow never started (a crash in between). */
    async ensureRetryWorkflows(input: { runId: string; plan: Plan; campaignWorkflowId: string }): Promise<number> {
      const waiting = await retryingRecipients(db, input.runId);
      for (const r of waiting) {
        const step = r.nodeId ? input.plan.steps[r.nodeId] : undefined;
        if (step?.type !== 'sendEmail' || !r.nodeId) continue;
        await startRetryWorkflow(deps, {
          runId: input.runId,
          nodeId: r.nodeId,
          contactId: r.contactId,
          step,
          campaignWorkflowId: input.campaignWorkflowId,
        });
      }
      return waiting.length;
    },

    async setRunStatus(input: { runId: string; status: RunStatus }) {
      await setRunStatus(db, input.runId, input.status);
    },

    /** Cancelling: nobody pending goes on, and retry workflows are cancelled. In-flight sends finish. */
    async cancelCohort(input: { runId: string }): Promise<number> {
      for (const r of await retryingRecipients(db, input.runId)) {
        try {
          await deps.temporal.workflow.getHandle(r.workflowId).cancel();
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      return cancelRecipients(db, input.runId);
    },
  };
}
