/**
 * callWebhook: one attempt of a journey's Webhook step for one contact (server/webhook-call.ts). One
 * worth another try (5xx, 408, 429, a timeout, a failed connection) throws, so Temporal retries it by the
 * journey's retry policy; a final answer comes back as succeeded or not.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { getContact } from '../server/db/contacts';
import { attemptWebhook, type WebhookCallInput } from '../server/webhook-call';
import type { ActivityDeps } from '.';

export type CallWebhookInput = Omit<WebhookCallInput, 'attempt'>;

export function createWebhookActivities({
  db,
  messageIdSecret,
  webhookPolicy = { allowed: [] },
}: Pick<ActivityDeps, 'db' | 'messageIdSecret' | 'webhookPolicy'>) {
  return {
    async callWebhook(input: CallWebhookInput): Promise<{ succeeded: boolean; status: number | null }> {
      const contact = await getContact(db, input.contactId);
      if (!contact)
        throw ApplicationFailure.nonRetryable(`contact "${input.contactId}" does not exist (deleted after the journey started?)`, 'ContactMissing');
      const attempt = Context.current().info.attempt;
      const done = await attemptWebhook({ db, installKey: messageIdSecret, policy: webhookPolicy }, { ...input, attempt }, contact);
      if (done.outcome === 'retry') throw ApplicationFailure.retryable(done.error, 'WebhookRetry');
      return { succeeded: done.outcome === 'succeeded', status: done.status };
    },
  };
}
