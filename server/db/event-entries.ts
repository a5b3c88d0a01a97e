/** Journeys started by API events: one row each, so re-entry policies and idempotency keys are answered here. */
import type { FlowGraph } from '../../domain/flow/schema';
import type { Plan } from '../../domain/flow/plan';
import { bigint, type Db, dialectOf, now, sql, type Tables } from '.';

/** A journey an API event started (its id is the journey's runId). */
export type EventEntry = Tables['eventEntries'];

/**
 * A published version never changes, so its graph and plan are parsed once per database and kept here
 * (an event asks for every listening flow's newest version; re-parsing each flow's JSON per event
 * would grow with the number of flows). Bounded: past VERSIONS_KEPT the oldest parse is dropped.
 */
const VERSIONS_KEPT = 500;
const parsedVersions = new WeakMap<Db, Map<string, { graph: FlowGraph; plan: Plan }>>();

/** Each flow's newest published version (flows in use only): its graph (for the Trigger), its plan and its owner. */
export async function latestPublishedVersions(
  db: Db,
): Promise<{ flowId: string; version: number; ownerId: string | null; graph: FlowGraph; plan: Plan }[]> {
  const newest = await db
    .selectFrom('flowVersions as v')
    .innerJoin('flows', 'flows.id', 'v.flowId')
    .select(['v.flowId', 'v.version', 'flows.ownerId'])
    // An archived or deleted flow listens to no event.
    .where('flows.archivedAt', 'is', null)
    .where('flows.deletedAt', 'is', null)
    .where('v.version', '=', (eb) =>
      eb
        .selectFrom('flowVersions as w')
        .select((e) => e.fn.max('w.version').as('m'))
        .whereRef('w.flowId', '=', 'v.flowId'),
    )
    .execute();
  const parsed = parsedVersions.get(db) ?? new Map<string, { graph: FlowGraph; plan: Plan }>();
  parsedVersions.set(db, parsed);
  const keyOf = (r: { flowId: string; version: number }) => `${r.version}:${r.flowId}`;
  const missing = newest.filter((r) => !parsed.has(keyOf(r)));
  for (let i = 0; i < missing.length; i += 100) {
    const rows = await db
      .selectFrom('flowVersions')
      .select(['flowId', 'version', 'graph', 'plan'])
      .where((eb) => eb.or(missing.slice(i, i + 100).map((m) => eb.and([eb('flowId', '=', m.flowId), eb('version', '=', m.version)]))))
      .execute();
    for (const r of rows) {
      parsed.set(keyOf(r), { graph: JSON.parse(r.graph) as FlowGraph, plan: JSON.parse(r.plan) as Plan });
      if (parsed.size > VERSIONS_KEPT) parsed.delete(parsed.keys().next().value as string);
    }
  }
  return newest.flatMap((r) => {
    const version = parsed.get(keyOf(r));
    return version ? [{ ...r, ...version }] : [];
  });
}

/** The entry this idempotency key made for this contact in this flow, if any. */
export async function findEventEntry(db: Db, key: { flowId: string; contactId: string; idempotencyKey: string }): Promise<EventEntry | undefined> {
  return db
    .selectFrom('eventEntries')
    .selectAll()
    .where('flowId', '=', key.flowId)
    .where('contactId', '=', key.contactId)
    .where('idempotencyKey', '=', key.idempotencyKey)
    .executeTakeFirst();
}

/** The contact's entries into the flow, newest first. */
export async function contactEntries(db: Db, flowId: string, contactId: string, limit = 5): Promise<EventEntry[]> {
  return db
    .selectFrom('eventEntries')
    .selectAll()
    .where('flowId', '=', flowId)
    .where('contactId', '=', contactId)
    .orderBy('enteredAt', 'desc')
    .limit(limit)
    .execute();
}

/** The contact's newest entries into any flow, newest first: the journeys an API event for them may reach. */
export async function recentContactEntries(db: Db, contactId: string, limit: number): Promise<EventEntry[]> {
  return db.selectFrom('eventEntries').selectAll().where('contactId', '=', contactId).orderBy('enteredAt', 'desc').limit(limit).execute();
}

/**
 * Records an entry. With `onlyIfFirst` (re-entry "once ever") it is written only when the contact
 * has no entry in the flow yet, in one statement, so two events at once cannot both enter. Returns
 * false when nothing was written (the key's entry exists already, or the contact entered before).
 */
export async function insertEventEntry(db: Db, entry: Omit<EventEntry, 'enteredAt'>, options: { onlyIfFirst: boolean }): Promise<boolean> {
  const e = { ...entry, enteredAt: now() };
  const insert = sql`
    INSERT INTO event_entries (id, flow_id, version, contact_id, event, idempotency_key, workflow_id, api_key_id, entered_at)
    SELECT ${e.id}, ${e.flowId}, ${bigint(e.version)}, ${e.contactId}, ${e.event}, ${e.idempotencyKey}, ${e.workflowId}, ${e.apiKeyId}, ${e.enteredAt}
    WHERE ${options.onlyIfFirst ? sql`NOT EXISTS (SELECT 1 FROM event_entries WHERE flow_id = ${e.flowId} AND contact_id = ${e.contactId})` : sql`true`}
    ON CONFLICT DO NOTHING`;
  if (!options.onlyIfFirst || dialectOf(db) === 'sqlite') return Number((await insert.execute(db)).numAffectedRows ?? 0) > 0;
  // PostgreSQL runs statements side by side: the contact's first entry in the flow is decided under a lock of its own.
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${JSON.stringify(['event-entry', e.flowId, e.contactId])}))`.execute(trx);
    return Number((await insert.execute(trx)).numAffectedRows ?? 0) > 0;
  });
}

/** The plan a journey an API event started runs (its entry's flow version), with the flow's owner: for its steps' names. */
export async function entryPlan(db: Db, entryId: string): Promise<{ plan: Plan; ownerId: string | null } | undefined> {
  const row = await db
    .selectFrom('eventEntries')
    .innerJoin('flowVersions', (join) =>
      join.onRef('flowVersions.flowId', '=', 'eventEntries.flowId').onRef('flowVersions.version', '=', 'eventEntries.version'),
    )
    .innerJoin('flows', 'flows.id', 'eventEntries.flowId')
    .select(['flowVersions.plan', 'flows.ownerId'])
    .where('eventEntries.id', '=', entryId)
    .executeTakeFirst();
  return row && { plan: JSON.parse(row.plan) as Plan, ownerId: row.ownerId };
}
