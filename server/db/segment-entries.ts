/**
 * Journeys started by contacts entering a segment. Each flow whose Trigger is entering a segment
 * remembers who was in it when it last looked (`segment_watch_members`); a contact in it now whom the
 * flow did not see there has entered: an entry (an `event_entries` row, as for lists and API events) and
 * its pending start in the list trigger's outbox (`list_entry_starts`), in the transaction that
 * remembers them. A contact who left is forgotten, so "every time" enters them again when they come back.
 * Contacts changed since the last look wait in `segment_checks`.
 */
import { createHash } from 'node:crypto';
import type { ContactFilter } from '../../domain/contact-filter';
import type { ReentryPolicy } from '../../domain/flow/nodes/trigger';
import { segmentWorkflowId } from '../../workflows/contracts';
import { type Db, now, sql } from '.';
import { filterCondition } from './contact-filter';
import { latestPublishedVersions } from './event-entries';
import { insertEntriesToStart } from './list-entries';

/** A flow whose newest published version starts on entering a segment, or has entering one as its goal. */
export interface SegmentFlow {
  flowId: string;
  version: number;
  ownerId: string | null;
  /** The segment whose new members enter (undefined: the flow only has a segment as its goal). */
  segmentId?: string;
  /** The segment whose entering is the flow's goal, if any. */
  goalSegment?: string;
  reentry: ReentryPolicy;
}

/** The newest published version of every flow in use whose Trigger is entering a segment or whose goal is, by flow id. */
export async function segmentFlows(db: Db): Promise<SegmentFlow[]> {
  const flows = (await latestPublishedVersions(db)).flatMap((v) => {
    const trigger = v.graph.nodes.find((n) => n.type === 'trigger');
    if (trigger?.type !== 'trigger') return [];
    const segmentId = trigger.data.source === 'segment' ? trigger.data.segmentId : undefined;
    const { goalSegment } = v.plan;
    if (!segmentId && !goalSegment) return [];
    const reentry = trigger.data.reentry ?? 'once';
    return [
      {
        flowId: v.flowId,
        version: v.version,
        ownerId: v.ownerId,
        ...(segmentId ? { segmentId } : {}),
        ...(goalSegment ? { goalSegment } : {}),
        reentry,
      },
    ];
  });
  return flows.sort((a, b) => (a.flowId < b.flowId ? -1 : a.flowId > b.flowId ? 1 : 0));
}

/**
 * Brings the watches up to the flows: a new flow, or one whose segment changed, starts over (its first
 * look remembers who is in the segment without entering them); a flow no longer watching is forgotten.
 */
export async function syncWatches(db: Db, flows: SegmentFlow[]): Promise<void> {
  const watches = new Map((await db.selectFrom('segmentWatches').selectAll().execute()).map((w) => [w.flowId, w]));
  for (const flow of flows) {
    const watch = watches.get(flow.flowId);
    watches.delete(flow.flowId);
    const segmentId = flow.segmentId ?? null;
    if (watch && watch.segmentId === segmentId) continue;
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('segmentWatchMembers').where('flowId', '=', flow.flowId).execute();
      await trx.deleteFrom('segmentWatches').where('flowId', '=', flow.flowId).execute();
      // A flow with only a goal has nothing to remember: it is watched (changes are noted) at once.
      await trx
        .insertInto('segmentWatches')
        .values({ flowId: flow.flowId, segmentId, readyAt: segmentId ? null : now() })
        .execute();
    });
  }
  for (const gone of watches.keys()) {
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('segmentWatchMembers').where('flowId', '=', gone).execute();
      await trx.deleteFrom('segmentWatches').where('flowId', '=', gone).execute();
    });
  }
}

/** The flows whose first look at their segment is done (`ready`), or not yet. */
export async function watchesReady(db: Db): Promise<Map<string, boolean>> {
  const rows = await db.selectFrom('segmentWatches').select(['flowId', 'readyAt']).execute();
  return new Map(rows.map((r) => [r.flowId, r.readyAt !== null]));
}

/** The flow's first look at its segment is done: from now on a contact coming into it has entered. */
export async function markWatchReady(db: Db, flowId: string): Promise<void> {
  await db.updateTable('segmentWatches').set({ readyAt: now() }).where('flowId', '=', flowId).where('readyAt', 'is', null).execute();
}

/**
 * Notes that these contacts changed (call it with the change, in its transaction when there is one),
 * while any flow watches a segment: the segment check looks at them within seconds.
 */
export async function noteContactChanges(db: Db, contactIds: string[]): Promise<void> {
  if (contactIds.length === 0 || !(await db.selectFrom('segmentWatches').select('flowId').limit(1).executeTakeFirst())) return;
  const at = now();
  for (let i = 0; i < contactIds.length; i += 500) {
    await db
      .insertInto('segmentChecks')
      .values([...new Set(contactIds.slice(i, i + 500))].map((contactId) => ({ contactId, changedAt: at })))
      .onConflict((oc) => oc.column('contactId').doUpdateSet({ changedAt: at }))
      .execute();
  }
}

/** The contacts changed longest ago that no check has looked at since. */
export async function changedContacts(db: Db, limit: number): Promise<{ contactId: string; changedAt: string }[]> {
  return db.selectFrom('segmentChecks').selectAll().orderBy('changedAt').orderBy('contactId').limit(limit).execute();
}

/** These changes were looked at; a contact changed again meanwhile (another `changedAt`) stays to be looked at again. */
export async function settleChangedContacts(db: Db, checked: { contactId: string; changedAt: string }[]): Promise<void> {
  for (let i = 0; i < checked.length; i += 100) {
    const part = checked.slice(i, i + 100);
    await db
      .deleteFrom('segmentChecks')
      .where((eb) => eb.or(part.map((c) => eb.and([eb('contactId', '=', c.contactId), eb('changedAt', '=', c.changedAt)]))))
      .execute();
  }
}

/** A look at some contacts for a flow: who is in its segment now, and whom it saw there last time. */
interface Look {
  id: string;
  subscribed: boolean;
  inSegment: boolean;
  seen: boolean;
}

/** These contacts (`ids`), or the next `limit` contacts after `after` in id order, as the flow sees them. */
async function look(db: Db, flowId: string, filter: ContactFilter, which: { ids: string[] } | { after: string; limit: number }): Promise<Look[]> {
  let q = db
    .selectFrom('contacts')
    .leftJoin('segmentWatchMembers as m', (join) => join.onRef('m.contactId', '=', 'contacts.id').on('m.flowId', '=', flowId))
    .select([
      'contacts.id',
      'contacts.status',
      'm.contactId as seen',
      sql<number>`CASE WHEN ${filterCondition(db, filter)} THEN 1 ELSE 0 END`.as('inSegment'),
    ]);
  q = 'ids' in which ? q.where('contacts.id', 'in', which.ids) : q.where('contacts.id', '>', which.after).orderBy('contacts.id').limit(which.limit);
  const rows = await q.execute();
  return rows.map((r) => ({ id: r.id, subscribed: r.status === 'subscribed', inSegment: Number(r.inSegment) === 1, seen: r.seen !== null }));
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64url');

/**
 * Looks at these contacts (or a page of every contact) for one flow and remembers what it saw: those
 * who came into the segment enter the flow (unless `firstLook`: they were there when it was published),
 * subscribed ones only, "once ever" only if they never entered it before. Returns the contacts looked at
 * (the last one is the next page's cursor) and how many entered.
 */
export async function lookAndEnter(
  db: Db,
  flow: SegmentFlow & { segmentId: string },
  filter: ContactFilter,
  which: { ids: string[] } | { after: string; limit: number },
  options: { firstLook: boolean },
): Promise<{ looked: string[]; entered: number }> {
  return db.transaction().execute(async (trx) => {
    const seen = await look(trx, flow.flowId, filter, which);
    const came = seen.filter((c) => c.inSegment && !c.seen).map((c) => c.id);
    const left = seen.filter((c) => !c.inSegment && c.seen).map((c) => c.id);
    for (let i = 0; i < came.length; i += 500)
      await trx
        .insertInto('segmentWatchMembers')
        .values(came.slice(i, i + 500).map((contactId) => ({ flowId: flow.flowId, contactId })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    for (let i = 0; i < left.length; i += 500)
      await trx
        .deleteFrom('segmentWatchMembers')
        .where('flowId', '=', flow.flowId)
        .where('contactId', 'in', left.slice(i, i + 500))
        .execute();
    const subscribed = new Set(seen.filter((c) => c.subscribed).map((c) => c.id));
    const entering = options.firstLook ? [] : came.filter((id) => subscribed.has(id));
    return { looked: seen.map((c) => c.id), entered: await recordSegmentEntries(trx, flow, entering) };
  });
}

/** An entry and its pending start for each contact, keyed as the list trigger keys them ("once ever": by flow and contact alone). */
async function recordSegmentEntries(trx: Db, flow: SegmentFlow & { segmentId: string }, contactIds: string[]): Promise<number> {
  let written = 0;
  const at = now();
  for (let i = 0; i < contactIds.length; i += 200) {
    let part = contactIds.slice(i, i + 200);
    if (flow.reentry === 'once') {
      const before = await trx
        .selectFrom('eventEntries')
        .select('contactId')
        .where('flowId', '=', flow.flowId)
        .where('contactId', 'in', part)
        .execute();
      const entered = new Set(before.map((e) => e.contactId));
      part = part.filter((id) => !entered.has(id));
    }
    if (part.length === 0) continue;
    const key = flow.reentry === 'once' ? 'segment:once' : `segment:${flow.segmentId}:${at}`;
    const values = part.map((contactId) => {
      const hash = digest(`${flow.flowId}\n${contactId}\n${key}`);
      return {
        id: `seg_${hash.slice(0, 24)}`,
        flowId: flow.flowId,
        version: flow.version,
        contactId,
        event: `segment:${flow.segmentId}`,
        idempotencyKey: key,
        workflowId: segmentWorkflowId(flow.flowId, contactId, hash),
        apiKeyId: '',
        enteredAt: at,
      };
    });
    written += await insertEntriesToStart(trx, values, at);
  }
  return written;
}
