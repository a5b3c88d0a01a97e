/**
 * Journeys started by a date Trigger: the flows whose newest version has one, the contacts that have
 * its attribute, and an event entry per journey (as for lists and API events: the delivery log, a
 * contact's story and erasure read them there), keyed by flow, contact and occurrence.
 */
import { createHash } from 'node:crypto';
import type { DateTriggerData } from '../../domain/flow/date-trigger';
import type { Plan } from '../../domain/flow/plan';
import { dateWorkflowId } from '../../workflows/contracts';
import type { Db } from '.';
import { filterCondition } from './contact-filter';
import { latestPublishedVersions } from './event-entries';

/** A flow whose newest published version (not archived or deleted) starts on a date attribute. */
export interface DateFlow {
  flowId: string;
  version: number;
  ownerId: string | null;
  date: DateTriggerData;
  plan: Plan;
}

export async function dateFlows(db: Db): Promise<DateFlow[]> {
  return (await latestPublishedVersions(db)).flatMap((v) => {
    const trigger = v.graph.nodes.find((n) => n.type === 'trigger');
    if (trigger?.type !== 'trigger' || trigger.data.source !== 'date' || !trigger.data.date) return [];
    return [{ flowId: v.flowId, version: v.version, ownerId: v.ownerId, date: trigger.data.date, plan: v.plan }];
  });
}

/** A page of subscribed contacts that have the attribute, in id order after `afterId`, with their attributes. */
export async function contactsWithAttribute(
  db: Db,
  attribute: string,
  afterId: string,
  limit: number,
): Promise<{ id: string; attributes: Record<string, unknown> }[]> {
  const rows = await db
    .selectFrom('contacts')
    .select(['id', 'attributes'])
    .where('status', '=', 'subscribed')
    .where('id', '>', afterId)
    .where(filterCondition(db, { match: 'all', rules: [{ field: attribute, op: 'exists' }] }))
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => {
    try {
      return { id: r.id, attributes: JSON.parse(r.attributes) as Record<string, unknown> };
    } catch {
      return { id: r.id, attributes: {} };
    }
  });
}

/** The entry of one occurrence's journey (written once: a second call for the same occurrence changes nothing); returns its id and workflow id. */
export async function recordDateEntry(
  db: Db,
  flow: DateFlow,
  contactId: string,
  occurrence: string,
  enteredAt: string,
): Promise<{ id: string; workflowId: string }> {
  const key = `date:${occurrence}`;
  const id = `dat_${createHash('sha256').update(`${flow.flowId}\n${contactId}\n${key}`, 'utf8').digest('base64url').slice(0, 24)}`;
  const workflowId = dateWorkflowId(flow.flowId, contactId, occurrence);
  await db
    .insertInto('eventEntries')
    .values({
      id,
      flowId: flow.flowId,
      version: flow.version,
      contactId,
      event: `date:${flow.date.attribute}`,
      idempotencyKey: key,
      workflowId,
      apiKeyId: '',
      enteredAt,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return { id, workflowId };
}
