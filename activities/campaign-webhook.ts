/**
 * A campaign's Webhook step, a page of recipients per activity (server/cohort/webhook-page.ts): an
 * attempt that leaves calls worth another try throws, so the campaign's retry policy tries those again;
 * once its retries are spent, `failWebhookPage` sends whoever is still held down the failure branch.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { callWebhookPage, failWebhookPage, type WebhookPageInput, type WebhookPageResult } from '../server/cohort/webhook-page';
import type { ActivityDeps } from '.';

export function createCampaignWebhookActivities({
  db,
  messageIdSecret,
  webhookPolicy = { allowed: [] },
}: Pick<ActivityDeps, 'db' | 'messageIdSecret' | 'webhookPolicy'>) {
  return {
    async callWebhooks(input: WebhookPageInput): Promise<WebhookPageResult> {
      const context = Context.current();
      const deps = { db, installKey: messageIdSecret, policy: webhookPolicy };
      const result = await callWebhookPage(deps, input, context.info.attempt, () => context.heartbeat());
      if (result.retrying > 0)
        throw ApplicationFailure.retryable(`${result.retrying} webhook call(s) to try again; the last: ${result.lastError}`, 'WebhookRetry');
      return result;
    },

    /** The page's retries are spent: whoever it still holds takes the failure branch. */
    async failWebhookPage(input: { runId: string; nodeId: string; claim: string; next: string }): Promise<number> {
      return failWebhookPage(db, input);
    },
  };
}
