/** Flows: editable drafts and their immutable published versions. */
import type { FlowGraph } from '../../domain/flow/schema';
import type { Plan } from '../../domain/flow/plan';
import { type Db, lockingOnPostgres, now } from '.';
import { userDisplayNames } from './users';

export interface FlowSummary {
  id: string;
  name: string;
  updatedAt: string;
  latestVersion: number | null;
  archivedAt: string | null;
  /** The saved draft, as stored (it may not parse today). */
  draft: unknown;
  /** The newest published version's graph; null before the first publish. */
  publishedGraph: FlowGraph | null;
}

export interface Flow {
  id: string;
  name: string;
  /** Who created it; null for a flow from before owners (admins only, until setup gives it to the first admin). */
  ownerId: string | null;
  /** The draft as saved: well-formed, maybe unfinished. Unknown, since an old draft may not parse today. */
  graph: unknown;
  updatedAt: string;
  /** When it was archived; null for a flow in use. */
  archivedAt: string | null;
  /** Newest first. */
  versions: PublishedVersionInfo[];
}

/** A published version as the version history shows it. */
export interface PublishedVersionInfo {
  version: number;
  publishedAt: string;
  /** What the publisher said it changes; null when they said nothing. */
  note: string | null;
  /** Who published it (their name, else their email); null when unknown (versions from before this was kept). */
  publishedBy: string | null;
}

export interface FlowVersion {
  flowId: string;
  version: number;
  graph: FlowGraph;
  plan: Plan;
  publishedAt: string;
}

/** Every flow in use (or with `archived`, every archived one), or with `ownedBy` only that user's. */
export async function listFlows(db: Db, options: { ownedBy?: string; archived?: boolean } = {}): Promise<FlowSummary[]> {
  let q = db
    .selectFrom('flows')
    .where('flows.deletedAt', 'is', null)
    .where('flows.archivedAt', options.archived ? 'is not' : 'is', null);
  if (options.ownedBy !== undefined) q = q.where('flows.ownerId', '=', options.ownedBy);
  const rows = await q
    .leftJoin('flowVersions', 'flowVersions.flowId', 'flows.id')
    .select(['flows.id', 'flows.name', 'flows.updatedAt', 'flows.archivedAt', 'flows.graph'])
    .select((eb) => eb.fn.max('flowVersions.version').as('latest'))
    .select((eb) =>
      eb
        .selectFrom('flowVersions as newest')
        .select('newest.graph')
        .whereRef('newest.flowId', '=', 'flows.id')
        .orderBy('newest.version', 'desc')
        .limit(1)
        .as('publishedGraph'),
    )
    .groupBy(['flows.id', 'flows.name', 'flows.updatedAt', 'flows.archivedAt', 'flows.graph'])
    .orderBy('flows.updatedAt', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    updatedAt: r.updatedAt,
    latestVersion: r.latest ?? null,
    archivedAt: r.archivedAt,
    draft: JSON.parse(r.graph) as unknown,
    publishedGraph: r.publishedGraph ? (JSON.parse(r.publishedGraph) as FlowGraph) : null,
  }));
}

/** How many archived flows there are (with `ownedBy`, of that user's): for the "Archived" link. */
export async function countArchivedFlows(db: Db, options: { ownedBy?: string } = {}): Promise<number> {
  let q = db.selectFrom('flows').where('deletedAt', 'is', null).where('archivedAt', 'is not', null);
  if (options.ownedBy !== undefined) q = q.where('ownerId', '=', options.ownedBy);
  const row = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function getFlow(db: Db, id: string): Promise<Flow | undefined> {
  const row = await db.selectFrom('flows').selectAll().where('id', '=', id).where('deletedAt', 'is', null).executeTakeFirst();
  if (!row) return undefined;
  const rows = await db
    .selectFrom('flowVersions')
    .select(['version', 'publishedAt', 'note', 'publishedBy'])
    .where('flowId', '=', id)
    .orderBy('version', 'desc')
    .execute();
  // Looked up apart (not joined): versions from before publishers were kept need no user table.
  const names = await userDisplayNames(db, [...new Set(rows.flatMap((v) => (v.publishedBy ? [v.publishedBy] : [])))]);
  const versions = rows.map((v) => ({
    version: v.version,
    publishedAt: v.publishedAt,
    note: v.note,
    publishedBy: (v.publishedBy && names.get(v.publishedBy)) ?? null,
  }));
  return {
    id: row.id,
    name: row.name,
    ownerId: row.ownerId,
    graph: JSON.parse(row.graph) as unknown,
    updatedAt: row.updatedAt,
    archivedAt: row.archivedAt,
    versions,
  };
}

export async function hasAnyFlow(db: Db): Promise<boolean> {
  return (await db.selectFrom('flows').select('id').limit(1).executeTakeFirst()) !== undefined;
}

/**
 * Saves the editable draft; a new flow gets `ownerId`. With `onlyIfOwnedBy`, an existing flow is
 * changed only when that user owns it, in the same statement (no race between a check and the write).
 * Returns false when nothing was written: the id is someone else's flow.
 */
export async function saveFlowDraft(
  db: Db,
  flow: { id: string; name: string; graph: FlowGraph; ownerId?: string | null | undefined },
  options: { onlyIfOwnedBy?: string } = {},
): Promise<boolean> {
  const at = now();
  const graph = JSON.stringify(flow.graph);
  const result = await db
    .insertInto('flows')
    .values({ id: flow.id, name: flow.name, graph, createdAt: at, updatedAt: at, ownerId: flow.ownerId ?? null })
    .onConflict((oc) => {
      // A deleted flow's id stays taken: nothing is written, as for someone else's flow.
      const update = oc.column('id').doUpdateSet({ name: flow.name, graph, updatedAt: at }).where('flows.deletedAt', 'is', null);
      return options.onlyIfOwnedBy === undefined ? update : update.where('flows.ownerId', '=', options.onlyIfOwnedBy);
    })
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Stores an immutable published version; the plan is made for the version number it gets. Returns it. */
export async function insertFlowVersion(
  db: Db,
  flowId: string,
  graph: FlowGraph,
  plan: (version: number) => Plan,
  about: { note?: string | null | undefined; publishedBy?: string | null | undefined } = {},
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    // Publishes of one flow at once take turns on PostgreSQL (SQLite has one writer): each gets the next number.
    await lockingOnPostgres(trx, trx.selectFrom('flows').select('id').where('id', '=', flowId)).execute();
    const last = await trx
      .selectFrom('flowVersions')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('flowId', '=', flowId)
      .executeTakeFirst();
    const version = (last?.v ?? 0) + 1;
    await trx
      .insertInto('flowVersions')
      .values({
        flowId,
        version,
        graph: JSON.stringify(graph),
        plan: JSON.stringify(plan(version)),
        publishedAt: now(),
        note: about.note || null,
        publishedBy: about.publishedBy ?? null,
      })
      .execute();
    return version;
  });
}

export async function getFlowVersion(db: Db, flowId: string, version: number): Promise<FlowVersion | undefined> {
  const row = await db
    .selectFrom('flowVersions')
    .select(['flowId', 'version', 'graph', 'plan', 'publishedAt'])
    .where('flowId', '=', flowId)
    .where('version', '=', version)
    .executeTakeFirst();
  return row && { ...row, plan: JSON.parse(row.plan) as Plan, graph: JSON.parse(row.graph) as FlowGraph };
}

/** Every published version's plan, with its flow's name: for "who still sends with this profile?". */
export async function listPublishedPlans(db: Db): Promise<{ flowId: string; name: string; version: number; plan: Plan }[]> {
  const rows = await db
    .selectFrom('flowVersions')
    .innerJoin('flows', 'flows.id', 'flowVersions.flowId')
    .where('flows.deletedAt', 'is', null)
    .select(['flows.id as flowId', 'flows.name', 'flowVersions.version', 'flowVersions.plan'])
    .execute();
  return rows.map((r) => ({ ...r, plan: JSON.parse(r.plan) as Plan }));
}

/** Archives the flow (out of the flows list, its event trigger off) or restores it. */
export async function setFlowArchived(db: Db, id: string, archived: boolean): Promise<void> {
  await db
    .updateTable('flows')
    .set({ archivedAt: archived ? now() : null })
    .where('id', '=', id)
    .where('deletedAt', 'is', null)
    .execute();
}

/**
 * Deletes the flow unless runs of it are in flight (running or paused): then nothing changes and the
 * answer counts them. A flow whose runs or event journeys still refer to it is hidden (`deletedAt`) and
 * kept for their history; one nothing refers to is removed with its versions. One transaction.
 */
export async function deleteFlow(db: Db, id: string): Promise<{ inFlight: number } | { deleted: 'removed' | 'hidden' }> {
  return db.transaction().execute(async (trx) => {
    const count = async (q: Promise<{ n: number | string | bigint } | undefined>) => Number((await q)?.n ?? 0);
    const inFlight = await count(
      trx
        .selectFrom('runs')
        .where('flowId', '=', id)
        .where('status', 'in', ['scheduled', 'running', 'paused'])
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst(),
    );
    if (inFlight > 0) return { inFlight };
    const runs = await count(
      trx
        .selectFrom('runs')
        .where('flowId', '=', id)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst(),
    );
    const entries = await count(
      trx
        .selectFrom('eventEntries')
        .where('flowId', '=', id)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst(),
    );
    if (runs + entries > 0) {
      await trx.updateTable('flows').set({ deletedAt: now() }).where('id', '=', id).execute();
      return { deleted: 'hidden' as const };
    }
    await trx.deleteFrom('flowVersions').where('flowId', '=', id).execute();
    await trx.deleteFrom('flows').where('id', '=', id).execute();
    return { deleted: 'removed' as const };
  });
}
