/**
 * Opens and clicks as the database holds them (tracking_events, migration 450): whether a run's flow
 * tracks them, each one recorded, the run report's counts, and what a Condition reads of them.
 */
import { sql } from 'kysely';
import type { Db, Tables } from '.';

export type TrackingEvent = Omit<Tables['trackingEvents'], 'id'>;

/** Whether the flow a run (a campaign's, or a journey's: its event entry) belongs to tracks opens and clicks now. */
export async function tracksEngagement(db: Db, runId: string): Promise<boolean> {
  const run = await db
    .selectFrom('runs')
    .innerJoin('flows', 'flows.id', 'runs.flowId')
    .select('flows.trackEngagement')
    .where('runs.id', '=', runId)
    .executeTakeFirst();
  if (run) return run.trackEngagement === 1;
  const entry = await db
    .selectFrom('eventEntries')
    .innerJoin('flows', 'flows.id', 'eventEntries.flowId')
    .select('flows.trackEngagement')
    .where('eventEntries.id', '=', runId)
    .executeTakeFirst();
  return entry?.trackEngagement === 1;
}

export async function setFlowTracking(db: Db, flowId: string, on: boolean): Promise<void> {
  await db
    .updateTable('flows')
    .set({ trackEngagement: on ? 1 : 0 })
    .where('id', '=', flowId)
    .execute();
}

export async function flowTracking(db: Db, flowId: string): Promise<boolean> {
  const row = await db.selectFrom('flows').select('trackEngagement').where('id', '=', flowId).executeTakeFirst();
  return row?.trackEngagement === 1;
}

/** When the message was accepted (ms), from the send ledger; undefined when it is not (yet) sent. */
export async function sentAt(db: Db, key: { runId: string; nodeId: string; contactId: string }): Promise<number | undefined> {
  const row = await db
    .selectFrom('sends')
    .select('updatedAt')
    .where('runId', '=', key.runId)
    .where('nodeId', '=', key.nodeId)
    .where('contactId', '=', key.contactId)
    .where('status', '=', 'SENT')
    .executeTakeFirst();
  const at = row ? Date.parse(row.updatedAt) : Number.NaN;
  return Number.isNaN(at) ? undefined : at;
}

export async function recordTrackingEvent(db: Db, event: TrackingEvent): Promise<void> {
  await db.insertInto('trackingEvents').values(event).execute();
}

/** Per Send step: opens (by people, by machines) and clicks (by people), each total and unique (contacts). */
export interface StepEngagement {
  nodeId: string;
  opens: { total: number; unique: number; machine: number };
  clicks: { total: number; unique: number; machine: number };
  links: { linkIndex: number; url: string; total: number; unique: number }[];
}

const count = (n: unknown) => Number(n ?? 0);

/** The run's opens and clicks, per Send step and, for clicks by people, per link. */
export async function engagementCounts(db: Db, runId: string): Promise<StepEngagement[]> {
  const byKind = await db
    .selectFrom('trackingEvents')
    .select(['nodeId', 'kind', 'machine'])
    .select((eb) => [eb.fn.countAll().as('total'), sql<number>`count(distinct ${eb.ref('contactId')})`.as('unique')])
    .where('runId', '=', runId)
    .groupBy(['nodeId', 'kind', 'machine'])
    .execute();
  const byLink = await db
    .selectFrom('trackingEvents')
    .select(['nodeId', 'linkIndex', 'url'])
    .select((eb) => [eb.fn.countAll().as('total'), sql<number>`count(distinct ${eb.ref('contactId')})`.as('unique')])
    .where('runId', '=', runId)
    .where('kind', '=', 'click')
    .where('machine', '=', 0)
    .groupBy(['nodeId', 'linkIndex', 'url'])
    .orderBy('nodeId')
    .orderBy('linkIndex')
    .execute();
  const steps = new Map<string, StepEngagement>();
  const step = (nodeId: string) => {
    let s = steps.get(nodeId);
    if (!s) {
      s = { nodeId, opens: { total: 0, unique: 0, machine: 0 }, clicks: { total: 0, unique: 0, machine: 0 }, links: [] };
      steps.set(nodeId, s);
    }
    return s;
  };
  for (const row of byKind) {
    const counts = step(row.nodeId)[row.kind === 'open' ? 'opens' : 'clicks'];
    if (count(row.machine) === 1) counts.machine += count(row.total);
    else Object.assign(counts, { total: count(row.total), unique: count(row.unique) });
  }
  for (const row of byLink)
    step(row.nodeId).links.push({ linkIndex: count(row.linkIndex), url: row.url, total: count(row.total), unique: count(row.unique) });
  return [...steps.values()];
}

/** For each of these contacts, when a person first opened and first clicked each of these Send steps' messages (ms), and when it was sent. */
export interface Engagement {
  sentAt?: number;
  opened?: number;
  clicked?: number;
}

export async function engagementOf(db: Db, runId: string, contactIds: string[], nodeIds: string[]): Promise<Map<string, Record<string, Engagement>>> {
  const found = new Map<string, Record<string, Engagement>>();
  if (contactIds.length === 0 || nodeIds.length === 0) return found;
  const at = (contactId: string, nodeId: string) => {
    const of = found.get(contactId) ?? {};
    found.set(contactId, of);
    of[nodeId] ??= {};
    return of[nodeId];
  };
  const firsts = await db
    .selectFrom('trackingEvents')
    .select(['contactId', 'nodeId', 'kind'])
    .select((eb) => eb.fn.min('at').as('first'))
    .where('runId', '=', runId)
    .where('contactId', 'in', contactIds)
    .where('nodeId', 'in', nodeIds)
    .where('machine', '=', 0)
    .groupBy(['contactId', 'nodeId', 'kind'])
    .execute();
  for (const row of firsts) at(row.contactId, row.nodeId)[row.kind === 'open' ? 'opened' : 'clicked'] = count(row.first);
  const sends = await db
    .selectFrom('sends')
    .select(['contactId', 'nodeId', 'updatedAt'])
    .where('runId', '=', runId)
    .where('contactId', 'in', contactIds)
    .where('nodeId', 'in', nodeIds)
    .where('status', '=', 'SENT')
    .execute();
  for (const row of sends) at(row.contactId, row.nodeId).sentAt = Date.parse(row.updatedAt);
  return found;
}
