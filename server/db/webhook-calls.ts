/** The Webhook step's calls, per contact: each attempt's answer, for the contact's story. */
import { sql } from 'kysely';
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

/** A call as the contact's page lists it: with the flow it was made for (null once the flow is gone). */
export interface ContactWebhookCall extends WebhookCall {
  flowName: string | null;
  flowVersion: number | null;
}

/**
 * A contact's webhook calls, newest first (at most `limit`); with `visibleTo`, only those of flows and
 * runs that user owns (as the contact's delivery history).
 */
export async function contactWebhookCalls(
  db: Db,
  contactId: string,
  options: { visibleTo?: string; limit?: number } = {},
): Promise<ContactWebhookCall[]> {
  let q = db
    .selectFrom('webhookCalls')
    .leftJoin('runs', 'runs.id', 'webhookCalls.runId')
    // A journey an API event started has an event entry for its runId instead of a run.
    .leftJoin('eventEntries', 'eventEntries.id', 'webhookCalls.runId')
    .leftJoin('flows', (join) => join.on(sql<boolean>`flows.id = coalesce(runs.flow_id, event_entries.flow_id)`))
    .selectAll('webhookCalls')
    .select(['flows.name as flowName', sql<number | null>`coalesce(runs.version, event_entries.version)`.as('flowVersion')])
    .where('webhookCalls.contactId', '=', contactId);
  const user = options.visibleTo;
  if (user !== undefined) q = q.where((eb) => eb.or([eb('runs.ownerId', '=', user), eb('flows.ownerId', '=', user)]));
  const rows = await q
    .orderBy('webhookCalls.at', 'desc')
    .orderBy('webhookCalls.attempt', 'desc')
    .limit(options.limit ?? 200)
    .execute();
  return rows.map((r) => ({ ...r, outcome: r.outcome as WebhookOutcome }));
}
