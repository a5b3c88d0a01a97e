/**
 * Journeys started by contacts joining a list. Each is an event entry (as for API events: re-entry,
 * the delivery log and erasure read them there) and, until its workflow was started, a row in the
 * outbox `list_entry_starts`, both written in the transaction that adds the member.
 */
import { createHash } from 'node:crypto';
import type { ReentryPolicy } from '../../domain/flow/nodes/trigger';
import { listWorkflowId } from '../../workflows/contracts';
import type { Insertable } from 'kysely';
import type { Db } from '.';
import type { Tables } from './tables';
import { type EventEntry, latestPublishedVersions } from './event-entries';

/** A flow whose newest published version starts on joining a list. */
export interface ListFlow {
  flowId: string;
  version: number;
  ownerId: string | null;
  listId: string;
  reentry: ReentryPolicy;
}

/** The newest published version of every flow (not archived or deleted) whose Trigger is joining a list; with `listId`, that list's. */
export async function listFlows(db: Db, listId?: string): Promise<ListFlow[]> {
  return (await latestPublishedVersions(db)).flatMap((v) => {
    const trigger = v.graph.nodes.find((n) => n.type === 'trigger');
    if (trigger?.type !== 'trigger' || trigger.data.source !== 'list' || !trigger.data.listId) return [];
    if (listId !== undefined && trigger.data.listId !== listId) return [];
    return [{ flowId: v.flowId, version: v.version, ownerId: v.ownerId, listId: trigger.data.listId, reentry: trigger.data.reentry ?? 'once' }];
  });
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64url');

/**
 * For each subscribed contact of `contactIds` that joined the list at `addedAt` (call it in the
 * transaction that added them), an entry in each flow and its pending start. "Once ever" entries are
 * keyed by the flow and contact alone, so a contact removed and added again, or added twice at once,
 * enters once. Returns how many entries were written.
 */
export async function recordListEntries(trx: Db, listId: string, contactIds: string[], addedAt: string, flows: ListFlow[]): Promise<number> {
  if (flows.length === 0 || contactIds.length === 0) return 0;
  let written = 0;
  for (let i = 0; i < contactIds.length; i += 500) {
    const joined = await trx
      .selectFrom('listMembers')
      .innerJoin('contacts', 'contacts.id', 'listMembers.contactId')
      .select('contacts.id')
      .where('listMembers.listId', '=', listId)
      .where('listMembers.addedAt', '=', addedAt)
      .where('contacts.status', '=', 'subscribed')
      .where('contacts.id', 'in', contactIds.slice(i, i + 500))
      .execute();
    for (const flow of flows) {
      // "Once ever" also counts entries from before (an API event, when the flow's Trigger was one).
      const entered =
        flow.reentry === 'once' && joined.length > 0
          ? new Set(
              (
                await trx
                  .selectFrom('eventEntries')
                  .select('contactId')
                  .where('flowId', '=', flow.flowId)
                  .where(
                    'contactId',
                    'in',
                    joined.map((c) => c.id),
                  )
                  .execute()
              ).map((e) => e.contactId),
            )
          : new Set<string>();
      const entering = joined.filter((c) => !entered.has(c.id));
      for (let j = 0; j < entering.length; j += 200) {
        const values = entering.slice(j, j + 200).map(({ id: contactId }) => {
          const key = flow.reentry === 'once' ? 'list:once' : `list:${listId}:${addedAt}`;
          const hash = digest(`${flow.flowId}\n${contactId}\n${key}`);
          return {
            id: `lst_${hash.slice(0, 24)}`,
            flowId: flow.flowId,
            version: flow.version,
            contactId,
            event: `list:${listId}`,
            idempotencyKey: key,
            workflowId: listWorkflowId(flow.flowId, contactId, hash),
            apiKeyId: '',
            enteredAt: addedAt,
          };
        });
        written += await insertEntriesToStart(trx, values, addedAt);
      }
    }
  }
  return written;
}

/** The oldest entries whose journey is not started yet. */
export async function pendingListEntries(db: Db, limit: number): Promise<EventEntry[]> {
  return db
    .selectFrom('listEntryStarts')
    .innerJoin('eventEntries', 'eventEntries.id', 'listEntryStarts.entryId')
    .selectAll('eventEntries')
    .orderBy('listEntryStarts.enteredAt')
    .orderBy('listEntryStarts.entryId')
    .limit(limit)
    .execute();
}

/** These entries' journeys were started: they leave the outbox. */
export async function settleListEntries(db: Db, ids: string[]): Promise<void> {
  if (ids.length > 0) await db.deleteFrom('listEntryStarts').where('entryId', 'in', ids).execute();
}

/** An entry whose journey will not start (re-entry, the flow archived, no sender): it is removed with its start, as if the contact had not entered. */
export async function dropListEntry(db: Db, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('listEntryStarts').where('entryId', '=', id).execute();
    await trx.deleteFrom('eventEntries').where('id', '=', id).execute();
  });
}

/**
 * Journey entries and their outbox rows, written together (in the caller's transaction): the worker starts
 * each new entry's journey (server/list-entries.ts). An entry already written is left as it is. How many were new.
 */
export async function insertEntriesToStart(trx: Db, values: Insertable<Tables['eventEntries']>[], enteredAt: string): Promise<number> {
  const rows = await trx
    .insertInto('eventEntries')
    .values(values)
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .execute();
  if (rows.length > 0)
    await trx
      .insertInto('listEntryStarts')
      .values(rows.map((r) => ({ entryId: r.id, enteredAt })))
      .execute();
  return rows.length;
}
