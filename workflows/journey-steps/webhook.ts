/**
 * A journey's Webhook: the callWebhook activity POSTs the signed body; Temporal retries it (server
 * errors, timeouts, failed connections) for about an hour; the contact then goes down "Succeeded" or
 * "Failed". The outcome is in the history, so a replay goes the same way.
 */
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { WebhookStep } from '../../domain/flow/plan';
import type { JourneyStep } from '../journey-step';

const { callWebhook } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  // 2 s, 4 s, … up to 10 minutes apart: 14 attempts over about an hour.
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 14 },
});

export const webhook: JourneyStep<WebhookStep> = async (journey, nodeId, step) => {
  const { runId, contactId, flowId } = journey;
  try {
    const { succeeded } = await callWebhook({ runId, flowId, nodeId, contactId, url: step.url, body: step.body });
    return { next: succeeded ? step.success : step.failure };
  } catch (err) {
    // Retries spent (or the contact is gone): the failure branch.
    if (err instanceof ActivityFailure) return { next: step.failure };
    throw err;
  }
};
