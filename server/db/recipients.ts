/**
 * A campaign's recipients: where each one is in the plan (a node and a due time) and what state it is
 * in. The campaign workflow moves the whole cohort through these queries, in pages and batches.
 */
import type { SubscriptionStatus } from '../../domain/contact';
import { bigint, type Db, dialectOf, now, sql } from '.';
import type { Position } from '../../domain/run-report';
import { runPositions } from './run-report';
import type { RecipientStatus } from './tables';

const CHUNK = 500;
const chunks = <T>(items: T[], size = CHUNK): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** Puts these contacts at the plan's entry, due at dueAt. Contacts already in the run are left alone. Call it in a transaction. */
export async function insertRecipients(
  db: Db,
  run: { runId: string; entry: string; workflowId: string; dueAt: number },
  contactIds: string[],
): Promise<void> {
  const at = now();
  for (const ids of chunks(contactIds)) {
    await db
      .insertInto('runRecipients')
      .values(
        ids.map((contactId) => ({
          runId: run.runId,
          contactId,
          nodeId: run.entry,
          status: 'pending' as const,
          dueAt: run.dueAt,
          workflowId: run.workflowId,
          updatedAt: at,
        })),
      )
      .onConflict((oc) => oc.columns(['runId', 'contactId']).doNothing())
      .execute();
  }
}

/**
 * Enrols the next page of all contacts (by id, after `after`) at the plan's entry: one INSERT … SELECT.
 * Only subscribed contacts: the unsubscribed and suppressed are not in a campaign's audience.
 * Returns how many it added and the cursor for the next page (null when there are no more).
 */
export async function enrollAllContactsPage(
  db: Db,
  run: { runId: string; entry: string; workflowId: string; dueAt: number },
  after: string,
  limit: number,
): Promise<{ enrolled: number; next: string | null }> {
  const last = await db
    .selectFrom('contacts')
    .select('id')
    .where('id', '>', after)
    .orderBy('id')
    .offset(limit - 1)
    .limit(1)
    .executeTakeFirst();
  const upTo = last?.id;
  const result = await sql`
    INSERT INTO run_recipients (run_id, contact_id, node_id, status, due_at, workflow_id, updated_at)
    SELECT ${run.runId}, id, ${run.entry}, 'pending', ${bigint(run.dueAt)}, ${run.workflowId}, ${now()} FROM contacts
    WHERE id > ${after} ${upTo === undefined ? sql`` : sql`AND id <= ${upTo}`} AND status = 'subscribed'
    ON CONFLICT (run_id, contact_id) DO NOTHING`.execute(db);
  // The last page: on PostgreSQL the planner learns of the run's recipients now, not a minute later from
  // autovacuum. With statistics from before them, the sends' statements walked the run's every row
  // (a claim or an outcome took seconds at 100,000); sends is refreshed too, for its rows per run.
  if (upTo === undefined && dialectOf(db) === 'postgres') await sql`ANALYZE run_recipients, sends`.execute(db);
  return { enrolled: Number(result.numAffectedRows ?? 0), next: upTo ?? null };
}

export interface DueCounts {
  /** Each node with recipients due now, and how many. */
  due: { nodeId: string; count: number }[];
  /** The earliest due time still in the future, if any (ms). */
  nextDueAt: number | null;
  /** Recipients not yet finished: pending, sending or retrying. */
  active: number;
}

/** How many recipients are due at each node now, when the next one is due, and how many remain. */
export async function dueCounts(db: Db, runId: string, nowMs: number): Promise<DueCounts> {
  const due = await db
    .selectFrom('runRecipients')
    .select(['nodeId', (eb) => eb.fn.countAll<number>().as('n')])
    .where('runId', '=', runId)
    .where('status', '=', 'pending')
    .where('dueAt', '<=', nowMs)
    .groupBy('nodeId')
    .execute();
  const next = await db
    .selectFrom('runRecipients')
    .select((eb) => eb.fn.min('dueAt').as('at'))
    .where('runId', '=', runId)
    .where('status', '=', 'pending')
    .where('dueAt', '>', nowMs)
    .executeTakeFirst();
  const active = await db
    .selectFrom('runRecipients')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('runId', '=', runId)
    .where('status', 'in', ['pending', 'sending', 'retrying'])
    .executeTakeFirstOrThrow();
  return {
    due: due.flatMap((d) => (d.nodeId ? [{ nodeId: d.nodeId, count: Number(d.n) }] : [])),
    nextDueAt: next?.at ?? null,
    active: Number(active.n),
  };
}

export interface ClaimedRecipient {
  contactId: string;
  email: string;
  name: string;
  /** JSON, as stored: parsed once the recipient is known to be mailable. */
  attributes: string;
  status: SubscriptionStatus;
}

/** Recipients a batch (`claim`, stable across retries of its activity) holds and has not finished: what an earlier attempt left. */
export async function recipientsHeldBy(db: Db, runId: string, claim: string): Promise<ClaimedRecipient[]> {
  return db
    .selectFrom('runRecipients')
    .innerJoin('contacts', 'contacts.id', 'runRecipients.contactId')
    .select(['runRecipients.contactId', 'contacts.email', 'contacts.name', 'contacts.attributes', 'contacts.status'])
    .where('runRecipients.runId', '=', runId)
    .where('runRecipients.claim', '=', claim)
    .where('runRecipients.status', '=', 'sending')
    .execute();
}

/**
 * Claims up to `n` more recipients due at a Send step for a batch, and returns just those. SQLite has one
 * writer at a time; on PostgreSQL batches claim at once, each skipping the rows another is claiming.
 */
export async function claimNextRecipients(
  db: Db,
  runId: string,
  nodeId: string,
  claim: string,
  nowMs: number,
  n: number,
): Promise<ClaimedRecipient[]> {
  const due = sql`run_id = ${runId} AND status = 'pending' AND node_id = ${nodeId} AND due_at <= ${nowMs}`;
  const set = sql`status = 'sending', claim = ${claim}, updated_at = ${now()}`;
  // On PostgreSQL the rows are picked once, in a materialized CTE: as `IN (SELECT … FOR UPDATE SKIP LOCKED)`
  // the planner could run the locking subquery again for every row of the run (seconds a claim at 10,000).
  const claimed =
    dialectOf(db) === 'postgres'
      ? await sql<{
          contactId: string;
        }>`WITH picked AS MATERIALIZED (SELECT contact_id FROM run_recipients WHERE ${due} LIMIT ${n} FOR UPDATE SKIP LOCKED)
          UPDATE run_recipients SET ${set} FROM picked WHERE run_recipients.run_id = ${runId} AND run_recipients.contact_id = picked.contact_id
          RETURNING run_recipients.contact_id`.execute(db)
      : await sql<{ contactId: string }>`UPDATE run_recipients SET ${set}
          WHERE rowid IN (SELECT rowid FROM run_recipients WHERE ${due} LIMIT ${n}) RETURNING contact_id`.execute(db);
  const ids = claimed.rows.map((r) => r.contactId);
  if (ids.length === 0) return [];
  const people = await db.selectFrom('contacts').select(['id', 'email', 'name', 'attributes', 'status']).where('id', 'in', ids).execute();
  return people.map(({ id, ...p }) => ({ contactId: id, ...p }));
}

/** Where a recipient goes after its send: on to the next step (due now), failed, or to a retry workflow. */
export type RecipientMove =
  | { to: 'next'; nodeId: string; dueAt: number }
  | { to: 'failed' }
  | { to: 'held' }
  | { to: 'skipped' }
  | { to: 'retrying'; workflowId: string };

/** Moves a recipient on, only from the state the caller holds it in (a cancelled run's recipients stay cancelled). */
export async function moveRecipient(db: Db, runId: string, contactId: string, from: 'sending' | 'retrying', move: RecipientMove): Promise<void> {
  const set =
    move.to === 'next'
      ? { status: 'pending' as const, nodeId: move.nodeId, dueAt: move.dueAt }
      : move.to === 'failed' || move.to === 'held' || move.to === 'skipped'
        ? { status: move.to }
        : { status: 'retrying' as const, workflowId: move.workflowId };
  await db
    .updateTable('runRecipients')
    .set({ ...set, claim: null, updatedAt: now() })
    .where('runId', '=', runId)
    .where('contactId', '=', contactId)
    .where('status', '=', from)
    .execute();
}

/** Cancelling a run: everyone pending or handed to a retry workflow stops where they are. */
export async function cancelRecipients(db: Db, runId: string): Promise<number> {
  const r = await db
    .updateTable('runRecipients')
    .set({ status: 'cancelled', updatedAt: now() })
    .where('runId', '=', runId)
    .where('status', 'in', ['pending', 'retrying'])
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Recipients handed to their own retry workflow and not settled yet. */
export async function retryingRecipients(db: Db, runId: string) {
  return db
    .selectFrom('runRecipients')
    .select(['contactId', 'nodeId', 'workflowId'])
    .where('runId', '=', runId)
    .where('status', '=', 'retrying')
    .execute();
}

/** Gives back what a batch claimed but did not get to (it was cancelled): due again, for the next batch. */
export async function releaseClaim(db: Db, runId: string, claim: string): Promise<void> {
  await db
    .updateTable('runRecipients')
    .set({ status: 'pending', claim: null, updatedAt: now() })
    .where('runId', '=', runId)
    .where('claim', '=', claim)
    .where('status', '=', 'sending')
    .execute();
}

export type RecipientCounts = Record<Exclude<RecipientStatus, 'pending'> | 'waiting' | 'due', number> & { messagesSent: number };

/** How many recipients of a run are in each state (pending split into waiting and due), and how many messages went out. */
export async function recipientCounts(db: Db, runId: string, nowMs: number, positions?: readonly Position[]): Promise<RecipientCounts> {
  // By step and state from the run_recipients_due index alone (the report's positions, when it has them).
  const where = positions ?? (await runPositions(db, runId, nowMs));
  const counts: RecipientCounts = {
    waiting: 0,
    due: 0,
    sending: 0,
    retrying: 0,
    held: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
    journey: 0,
    skipped: 0,
    messagesSent: 0,
  };
  for (const p of where) counts[p.state] += p.n;
  const sent = await db
    .selectFrom('sends')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('runId', '=', runId)
    .where('status', '=', 'SENT')
    .executeTakeFirstOrThrow();
  counts.messagesSent = Number(sent.n);
  return counts;
}

/** For the estimate of a run's finish: its last due time, and how many messages it sent since `sinceIso`. */
export async function pace(db: Db, runId: string, sinceIso: string): Promise<{ lastDueAt: number | null; sentSince: number }> {
  const last = await db
    .selectFrom('runRecipients')
    .select((eb) => eb.fn.max('dueAt').as('at'))
    .where('runId', '=', runId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  const sent = await db
    .selectFrom('deliveryAttempts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('runId', '=', runId)
    .where('outcome', '=', 'sent')
    .where('at', '>=', sinceIso)
    .executeTakeFirstOrThrow();
  return { lastDueAt: last?.at ?? null, sentSince: Number(sent.n) };
}

/**
 * A person resends held recipients (all of a run's, or these): each one's send goes from UNCERTAIN back
 * to PENDING (so the next claim is a plain one, with the same Message-ID) and the recipient is due now.
 */
export async function releaseHeld(db: Db, runId: string, contactIds?: string[]): Promise<number> {
  return db.transaction().execute(async (trx) => {
    let held = trx.selectFrom('runRecipients').select(['contactId', 'nodeId']).where('runId', '=', runId).where('status', '=', 'held');
    if (contactIds) held = held.where('contactId', 'in', contactIds.length ? contactIds : ['']);
    const rows = await held.execute();
    const at = now();
    for (const r of rows) {
      if (!r.nodeId) continue;
      await trx
        .updateTable('sends')
        .set({ status: 'PENDING', leaseUntil: 0, leaseOwner: null, updatedAt: at })
        .where('runId', '=', runId)
        .where('nodeId', '=', r.nodeId)
        .where('contactId', '=', r.contactId)
        .where('status', '=', 'UNCERTAIN')
        .execute();
      await trx
        .updateTable('runRecipients')
        .set({ status: 'pending', dueAt: Date.now(), claim: null, updatedAt: at })
        .where('runId', '=', runId)
        .where('contactId', '=', r.contactId)
        .where('status', '=', 'held')
        .execute();
    }
    return rows.length;
  });
}
