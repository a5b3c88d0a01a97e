/**
 * One attempt of a Webhook step for one contact, in a journey or a campaign: the body rendered for the
 * contact, signed with the flow's secret, POSTed through the outbound guard, and recorded (webhook_calls,
 * the recipient's story). Whether to try again is the caller's: Temporal's retry policy either way.
 */
import type { ContactAttributes } from '../domain/contact';
import { webhookAnswer } from '../domain/flow/nodes/webhook';
import { type Db, now } from './db';
import { recordWebhookCall, type WebhookOutcome } from './db/webhook-calls';
import type { OutboundPolicy } from './smtp/outbound';
import { postWebhook, renderWebhookBody, signWebhook, webhookScope, webhookSecret } from './webhooks';

export interface WebhookCallInput {
  runId: string;
  flowId: string;
  nodeId: string;
  contactId: string;
  url: string;
  body: string;
  /** Temporal's attempt number of the activity making the call (1 first). */
  attempt: number;
}

/** What an attempt came to: a final answer (2xx or not, its status if any), or another try is worth it (why, in words). */
export type WebhookAttempt = { outcome: 'succeeded' | 'failed'; status: number | null } | { outcome: 'retry'; error: string };

export async function attemptWebhook(
  deps: { db: Db; installKey: Buffer; policy: OutboundPolicy },
  input: WebhookCallInput,
  contact: { name: string; email: string; attributes: ContactAttributes },
): Promise<WebhookAttempt> {
  const { runId, nodeId, contactId, attempt } = input;
  const record = (status: number | null, outcome: WebhookOutcome, detail: string) =>
    recordWebhookCall(deps.db, { runId, nodeId, contactId, attempt, status, outcome, detail, at: now() });
  let body: string;
  try {
    body = await renderWebhookBody(input.body, webhookScope(contact));
  } catch {
    // Not the error's text: a JSON parse error quotes the rendered body, the contact's data with it.
    await record(null, 'failed', "the body did not render to JSON for this contact; check the step's template");
    return { outcome: 'failed', status: null };
  }
  const signature = signWebhook(webhookSecret(deps.installKey, input.flowId), body, Math.floor(Date.now() / 1000));
  const reply = await postWebhook(deps.policy, input.url, body, signature);
  if (reply.status === null) {
    await record(null, reply.refused ? 'failed' : 'retry', reply.error);
    return reply.refused ? { outcome: 'failed', status: null } : { outcome: 'retry', error: `POST ${input.url}: ${reply.error}` };
  }
  const outcome = webhookAnswer(reply.status);
  const text = `${reply.status} ${reply.statusText}`.trim();
  await record(reply.status, outcome, text);
  return outcome === 'retry' ? { outcome, error: `POST ${input.url}: ${text}` } : { outcome, status: reply.status };
}
