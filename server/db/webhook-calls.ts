/** The Webhook step's calls, per contact: each attempt's answer, for the contact's story. */
import type { Db } from '.';

export type WebhookOutcome = 'succeeded' | 'retry' | 'failed';

export interface WebhookCall {
  runId: string;
  nodeId: string;
  contactId: string;
  /** Temporal's attempt number (1 for the first call). */
  attempt: number;
  /** The HTTP status; null when no answer came (timeout, connection refused, the outbound guard). */
  status: number | null;
  outcome: WebhookOutcome;
  /** What happened, in words, e.g. "503 Service Unavailable" or "connect ECONNREFUSED". */
  detail: string;
  at: string;
}

/** Records one attempt; the same attempt recorded again (an activity retried after a crash) is kept once. */
export async function recordWebhookCall(db: Db, call: WebhookCall): Promise<void> {
  await db
    .insertInto('webhookCalls')
    .values({ ...call, detail: call.detail.slice(0, 500) })
    .onConflict((oc) => oc.columns(['runId', 'nodeId', 'contactId', 'attempt']).doNothing())
    .execute();
}

/** A contact's webhook calls, oldest first (at most `limit`). */
export async function contactWebhookCalls(db: Db, contactId: string, limit = 200): Promise<WebhookCall[]> {
  const rows = await db
    .selectFrom('webhookCalls')
    .selectAll()
    .where('contactId', '=', contactId)
    .orderBy('at')
    .orderBy('attempt')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...r, outcome: r.outcome as WebhookOutcome }));
}
