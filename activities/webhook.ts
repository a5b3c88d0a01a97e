/**
 * callWebhook: one attempt of a journey's Webhook step for one contact. Each attempt is recorded (the
 * contact's story); one worth another try (5xx, 408, 429, a timeout, a failed connection) throws, so
 * Temporal retries it by the journey's retry policy; a final answer comes back as succeeded or not.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { webhookAnswer } from '../domain/flow/nodes/webhook';
import { getContact } from '../server/db/contacts';
import { recordWebhookCall, type WebhookOutcome } from '../server/db/webhook-calls';
import { now } from '../server/db';
import { postWebhook, renderWebhookBody, signWebhook, webhookScope, webhookSecret } from '../server/webhooks';
import type { ActivityDeps } from '.';

export interface CallWebhookInput {
  runId: string;
  flowId: string;
  nodeId: string;
  contactId: string;
  url: string;
  body: string;
}

export function createWebhookActivities({
  db,
  messageIdSecret,
  webhookPolicy = { allowed: [] },
}: Pick<ActivityDeps, 'db' | 'messageIdSecret' | 'webhookPolicy'>) {
  return {
    async callWebhook(input: CallWebhookInput): Promise<{ succeeded: boolean; status: number | null }> {
      const { runId, nodeId, contactId } = input;
      const attempt = Context.current().info.attempt;
      const record = (status: number | null, outcome: WebhookOutcome, detail: string) =>
        recordWebhookCall(db, { runId, nodeId, contactId, attempt, status, outcome, detail, at: now() });
      const contact = await getContact(db, contactId);
      if (!contact)
        throw ApplicationFailure.nonRetryable(`contact "${contactId}" does not exist (deleted after the journey started?)`, 'ContactMissing');
      let body: string;
      try {
        body = await renderWebhookBody(input.body, webhookScope(contact));
      } catch {
        // Not the error's text: a JSON parse error quotes the rendered body, the contact's data with it.
        await record(null, 'failed', "the body did not render to JSON for this contact; check the step's template");
        return { succeeded: false, status: null };
      }
      const signature = signWebhook(webhookSecret(messageIdSecret, input.flowId), body, Math.floor(Date.now() / 1000));
      const reply = await postWebhook(webhookPolicy, input.url, body, signature);
      if (reply.status === null) {
        await record(null, reply.refused ? 'failed' : 'retry', reply.error);
        if (reply.refused) return { succeeded: false, status: null };
        throw ApplicationFailure.retryable(`POST ${input.url}: ${reply.error}`, 'WebhookUnanswered');
      }
      const outcome = webhookAnswer(reply.status);
      await record(reply.status, outcome, `${reply.status} ${reply.statusText}`.trim());
      if (outcome === 'retry') throw ApplicationFailure.retryable(`POST ${input.url}: ${reply.status} ${reply.statusText}`, 'WebhookRetry');
      return { succeeded: outcome === 'succeeded', status: reply.status };
    },
  };
}
