/**
 * The event log: the events the API received, newest first, a page at a time, each with its contact
 * and what it started in each flow listening to it, or why it started nothing. Read from the event
 * requests the idempotency keys are kept in (server/event-requests.ts), so it holds every accepted event.
 */
import type { Db } from './db';
import { contactEmails, listEventRequests } from './db/event-requests';
import { getFlow } from './db/flows';
import type { EventAccepted, EventJourney, EventWarning } from './events';

export const EVENT_LOG_PAGE_SIZE = 50;

export interface EventLogEntry {
  receivedAt: string;
  apiKeyName: string | null;
  idempotencyKey: string;
  /** Null while the event is being accepted (its answer is not given yet). */
  event: string | null;
  contactId: string | null;
  /** Null for a contact deleted since. */
  contactEmail: string | null;
  /** Each listening flow's outcome, with the flow's name (null for a flow deleted since). */
  journeys: (EventJourney & { flowName: string | null })[];
  warnings: EventWarning[];
}

/** Page `page` (from 1) of the log, and whether older events follow. */
export async function eventLog(db: Db, page: number, pageSize = EVENT_LOG_PAGE_SIZE): Promise<{ entries: EventLogEntry[]; more: boolean }> {
  const { rows, more } = await listEventRequests(db, { limit: pageSize, offset: (page - 1) * pageSize });
  const answers = rows.map((r) => (r.answer ? (JSON.parse(r.answer) as Partial<EventAccepted>) : undefined));
  const emails = await contactEmails(db, [...new Set(answers.flatMap((a) => (a?.contactId ? [a.contactId] : [])))]);
  const flowNames = new Map<string, string | null>();
  for (const flowId of new Set(answers.flatMap((a) => a?.journeys?.map((j) => j.flowId) ?? []))) {
    flowNames.set(flowId, (await getFlow(db, flowId))?.name ?? null);
  }
  const entries = rows.map((r, i) => {
    const answer = answers[i];
    return {
      receivedAt: r.createdAt,
      apiKeyName: r.apiKeyName,
      idempotencyKey: r.idempotencyKey,
      event: answer?.event ?? null,
      contactId: answer?.contactId ?? null,
      contactEmail: (answer?.contactId && emails.get(answer.contactId)) || null,
      journeys: (answer?.journeys ?? []).map((j) => ({ ...j, flowName: flowNames.get(j.flowId) ?? null })),
      warnings: answer?.warnings ?? [],
    };
  });
  return { entries, more };
}
