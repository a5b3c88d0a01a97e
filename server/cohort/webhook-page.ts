/**
 * A campaign's Webhook step, a page of recipients at a time: the page is claimed once (its first
 * attempt), then each attempt calls the webhook for every recipient the page still holds, a few at once,
 * and moves each final answer down its branch. Those worth another try stay held: the caller (an
 * activity) throws, and Temporal's retry policy tries them again later.
 */
import { WEBHOOK_FAILURE, WEBHOOK_SUCCESS } from '../../domain/flow/nodes/webhook';
import type { WebhookStep } from '../../domain/flow/plan';
import type { Db } from '../db';
import { claimNextRecipients } from '../db/recipients';
import { heldContactIds, heldWebhookRecipients, settleWebhookRecipients } from '../db/webhook-recipients';
import type { OutboundPolicy } from '../smtp/outbound';
import { attemptWebhook, type WebhookAttempt } from '../webhook-call';

/** Recipients per page, and calls at once within it. */
export const WEBHOOK_PAGE = 200;
export const WEBHOOK_CALLS_AT_ONCE = 8;

export interface WebhookPageInput {
  runId: string;
  flowId: string;
  nodeId: string;
  step: WebhookStep;
  /** The page's claim on its recipients: the same on every attempt. */
  claim: string;
  limit: number;
}

export interface WebhookPageResult {
  succeeded: number;
  failed: number;
  /** Held for another try, and the last reason one gave. */
  retrying: number;
  lastError: string;
}

export async function callWebhookPage(
  deps: { db: Db; installKey: Buffer; policy: OutboundPolicy },
  input: WebhookPageInput,
  attempt: number,
  heartbeat: () => void,
): Promise<WebhookPageResult> {
  const { db } = deps;
  const { runId, nodeId, step, claim } = input;
  if (attempt === 1) await claimNextRecipients(db, runId, nodeId, claim, Date.now(), input.limit);
  const held = await heldWebhookRecipients(db, runId, claim);
  const answers = new Map<string, WebhookAttempt>();
  let next = 0;
  const lane = async () => {
    for (let r = held[next++]; r; r = held[next++]) {
      const call = { runId, flowId: input.flowId, nodeId, contactId: r.contactId, url: step.url, body: step.body, attempt };
      answers.set(r.contactId, await attemptWebhook(deps, call, r));
      heartbeat();
    }
  };
  await Promise.all(Array.from({ length: Math.min(WEBHOOK_CALLS_AT_ONCE, held.length) }, lane));
  const withOutcome = (o: WebhookAttempt['outcome']) => [...answers].filter(([, a]) => a.outcome === o).map(([id]) => id);
  const at = { runId, nodeId, claim, nowMs: Date.now() };
  const succeeded = withOutcome('succeeded');
  const failed = withOutcome('failed');
  await settleWebhookRecipients(db, at, WEBHOOK_SUCCESS, step.success, succeeded);
  await settleWebhookRecipients(db, at, WEBHOOK_FAILURE, step.failure, failed);
  const retrying = [...answers.values()].filter((a) => a.outcome === 'retry');
  // Contacts deleted since the page claimed them have no call to make: the failure branch.
  if (retrying.length === 0) await failWebhookPage(db, { runId, nodeId, claim, next: step.failure });
  const last = retrying.at(-1);
  return { succeeded: succeeded.length, failed: failed.length, retrying: retrying.length, lastError: last?.outcome === 'retry' ? last.error : '' };
}

/** Every recipient the page still holds goes down the failure branch (its retries are spent). */
export async function failWebhookPage(db: Db, input: { runId: string; nodeId: string; claim: string; next: string }): Promise<number> {
  const ids = await heldContactIds(db, input.runId, input.claim);
  await settleWebhookRecipients(db, { ...input, nowMs: Date.now() }, WEBHOOK_FAILURE, input.next, ids);
  return ids.length;
}
