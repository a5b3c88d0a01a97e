/** A Send Email step for one contact, as the journey and a recipient's retry workflow run it. */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { EventProperties } from '../domain/events';
import type { SendEmailStep } from '../domain/flow/plan';

const { sendEmail } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // Transient SMTP failures (4xx, lost connections) retry with backoff for the profile's retry time,
  // then the activity fails the send for good (server/sending/policy.ts). Permanent ones are thrown as
  // non-retryable; every retry comes back at the time the activity names (nextRetryDelay).
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/** Sends the step's message to the contact through the sendEmail activity, under this workflow's history. */
export function sendStep(runId: string, nodeId: string, contactId: string, step: SendEmailStep, event?: EventProperties) {
  return sendEmail({
    runId,
    nodeId,
    contactId,
    profileId: step.profileId,
    subject: step.subject,
    text: step.text,
    // Only when the step has them, so that the input of a text-only step is what it always was.
    ...(step.preheader !== undefined ? { preheader: step.preheader } : {}),
    ...(step.html !== undefined ? { html: step.html } : {}),
    ...(step.replyTo !== undefined ? { replyTo: step.replyTo } : {}),
    ...(step.whenCapped !== undefined ? { whenCapped: step.whenCapped } : {}),
    ...(step.pool !== undefined ? { pool: step.pool } : {}),
    ...(event !== undefined ? { event } : {}),
    workflowId: workflowInfo().workflowId,
  });
}
