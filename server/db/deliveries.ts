/** The send ledger (one row per run, node and contact) and the delivery log (one row per attempt). */
import { setTimeout as delay } from 'node:timers/promises';
import { bigint, type Db, dialectOf, greatest, now, sql } from '.';
import type { AttemptOutcome, SendStatus, Tables } from './tables';

/** A delivery attempt; `profileId` names the profile that made it (absent for skips and rows from before migration 410). */
export type DeliveryAttempt = Omit<Tables['deliveryAttempts'], 'id' | 'profileId'> & { id: number; profileId?: string | null };
export interface SendKey {
  runId: string;
  nodeId: string;
  contactId: string;
}

export async function getSend(db: Db, key: SendKey) {
  return db
    .selectFrom('sends')
    .selectAll()
    .where('runId', '=', key.runId)
    .where('nodeId', '=', key.nodeId)
    .where('contactId', '=', key.contactId)
    .executeTakeFirst();
}

/** What claiming a send found, and what the caller may do. */
export type SendClaim =
  /**
   * The caller holds the send until its lease ends. `uncertain`: an earlier attempt's lease ran out mid-send.
   * `lastAttempt`: the number of the send's latest logged attempt, when it had a ledger row already (a batch numbers on from it).
   */
  | { kind: 'claimed'; uncertain: boolean; lastAttempt?: number }
  | { kind: 'sent'; messageId: string }
  | { kind: 'failed' }
  /** Another attempt holds it, alive: try again after this long, never in parallel. */
  | { kind: 'busy'; retryAfterMs: number };

/**
 * Claims one send for one attempt, with a compare-and-set: a send is held by at most one live attempt
 * (its lease), SENT and FAILED are final, and a lease that ran out while SENDING means the outcome is
 * unknown (UNCERTAIN): the claim says so, and the caller resends with the same Message-ID.
 */
export async function claimSend(
  db: Db,
  key: SendKey,
  claim: {
    messageId: string;
    owner: string;
    nowMs: number;
    leaseMs: number;
  },
): Promise<SendClaim> {
  const lease = { status: 'SENDING' as const, leaseUntil: claim.nowMs + claim.leaseMs, leaseOwner: claim.owner, updatedAt: now() };
  for (;;) {
    const inserted = await db
      .insertInto('sends')
      .values({ ...key, messageId: claim.messageId, ...lease })
      .onConflict((oc) => oc.columns(['runId', 'nodeId', 'contactId']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return { kind: 'claimed', uncertain: false };
    const row = await getSend(db, key);
    if (!row) continue;
    if (row.status === 'SENT') return { kind: 'sent', messageId: row.messageId };
    if (row.status === 'FAILED') return { kind: 'failed' };
    const live = row.status === 'SENDING' && row.leaseUntil > claim.nowMs && row.leaseOwner !== claim.owner;
    if (live) return { kind: 'busy', retryAfterMs: row.leaseUntil - claim.nowMs };
    const uncertain = (row.status === 'SENDING' && row.leaseOwner !== claim.owner) || row.status === 'UNCERTAIN';
    const updated = await db
      .updateTable('sends')
      .set(lease)
      .where('runId', '=', key.runId)
      .where('nodeId', '=', key.nodeId)
      .where('contactId', '=', key.contactId)
      .where('status', '=', row.status)
      .where('leaseUntil', '=', row.leaseUntil)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 1) return { kind: 'claimed', uncertain };
  }
}

/** Gives a claimed send back (not sent: the attempt stopped before DATA), so the next attempt is not uncertain. */
export async function releaseSend(db: Db, key: SendKey, owner: string): Promise<void> {
  await db
    .updateTable('sends')
    .set({ status: 'PENDING', leaseUntil: 0, leaseOwner: null, updatedAt: now() })
    .where('runId', '=', key.runId)
    .where('nodeId', '=', key.nodeId)
    .where('contactId', '=', key.contactId)
    .where('status', '=', 'SENDING')
    .where('leaseOwner', '=', owner)
    .execute();
}

/**
 * The ledger after an attempt. 'uncertain': the connection was lost after DATA, the server may have it.
 * 'skipped' (nothing sent: the contact is unsubscribed) leaves the send PENDING, for a resubscribed contact.
 */
const LEDGER_AFTER: Record<AttemptOutcome, SendStatus> = {
  sent: 'SENT',
  failed: 'FAILED',
  retrying: 'PENDING',
  uncertain: 'UNCERTAIN',
  skipped: 'PENDING',
  frequency_capped: 'PENDING',
};

/**
 * Logs one delivery attempt and, in the same transaction, moves the send ledger on (SENT, FAILED, or
 * back to PENDING for a retry, UNCERTAIN when the connection was lost after DATA): the log and the
 * ledger never disagree. With `ledger: false` it only notes in the log what a claim found. Where the recipient belongs to a
 * run from before campaigns (status 'journey', its own workflow), its status follows too. Campaign
 * recipients are moved on by the cohort code (recipients.ts), in its own transaction or in this one.
 */
export async function recordDeliveryAttempt(
  db: Db,
  attempt: Omit<DeliveryAttempt, 'id' | 'at'>,
  alsoInTransaction?: (trx: Db) => Promise<void>,
  options: { ledger: boolean } = { ledger: true },
): Promise<void> {
  const at = now();
  const { runId, nodeId, contactId, messageId } = attempt;
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('deliveryAttempts')
      .values({ ...attempt, at })
      .execute();
    if (!options.ledger) return;
    const status = LEDGER_AFTER[attempt.outcome];
    await trx
      .insertInto('sends')
      .values({ runId, nodeId, contactId, status, messageId, updatedAt: at })
      .onConflict((oc) => oc.columns(['runId', 'nodeId', 'contactId']).doUpdateSet({ status, updatedAt: at, leaseUntil: 0, leaseOwner: null }))
      .execute();
    if (attempt.outcome === 'sent' || attempt.outcome === 'failed') {
      await trx
        .updateTable('runRecipients')
        .set({ status: attempt.outcome === 'sent' ? 'completed' : 'failed', updatedAt: at })
        .where('runId', '=', runId)
        .where('contactId', '=', contactId)
        .where('status', '=', 'journey')
        .where('workflowId', '=', attempt.workflowId)
        .execute();
    }
    await alsoInTransaction?.(trx);
  });
}

/**
 * The ledger's final word for some sends of one node. On PostgreSQL each contact is one probe of the
 * primary key (a lateral lookup, the rows locked, then updated by their ctid): with `contact_id IN (…)`
 * the planner walks the node's every send whenever its statistics predate the run (a new run's sends are
 * estimated at one row until autovacuum samples them): each group of outcomes read the whole run, and a
 * 100,000-recipient campaign slowed from 2,260/s to 1,680/s as it went.
 */
export async function finishSends(
  db: Db,
  sends: { runId: string; nodeId: string; contactIds: string[] },
  status: 'SENT' | 'FAILED',
  at: string,
): Promise<void> {
  if (sends.contactIds.length > 0) await finishSendsStatement(db, sends, status, at).execute(db);
}

/** finishSends' statement (test/recipient-claims.test.ts reads its plan). */
export function finishSendsStatement(
  db: Db,
  { runId, nodeId, contactIds }: { runId: string; nodeId: string; contactIds: string[] },
  status: 'SENT' | 'FAILED',
  at: string,
) {
  if (dialectOf(db) === 'postgres')
    return sql`UPDATE sends SET status = ${status}, lease_until = 0, lease_owner = NULL, updated_at = ${at}
      WHERE ctid = ANY(ARRAY(SELECT s.ctid FROM unnest(CAST(${contactIds} AS text[])) AS u(id) CROSS JOIN LATERAL
        (SELECT ctid FROM sends WHERE run_id = ${runId} AND node_id = ${nodeId} AND contact_id = u.id LIMIT 1 FOR UPDATE) s))`;
  return sql`UPDATE sends SET status = ${status}, lease_until = 0, lease_owner = NULL, updated_at = ${at}
    WHERE run_id = ${runId} AND node_id = ${nodeId} AND contact_id IN (${sql.join(contactIds)})`;
}

/** The ledger rows of these contacts at one node of a run. */
export async function sendsOf(db: Db, runId: string, nodeId: string, contactIds: string[]) {
  if (contactIds.length === 0) return [];
  return db.selectFrom('sends').selectAll().where('runId', '=', runId).where('nodeId', '=', nodeId).where('contactId', 'in', contactIds).execute();
}

/** The Message-IDs in a run's send ledger (one per message; a resend keeps its Message-ID). */
export async function runMessageIds(db: Db, runId: string): Promise<string[]> {
  const rows = await db.selectFrom('sends').select('messageId').where('runId', '=', runId).execute();
  return rows.map((r) => r.messageId);
}

export interface ContactDelivery extends DeliveryAttempt {
  flowName: string | null;
  flowVersion: number | null;
}

/**
 * Every delivery attempt to one contact, campaigns and one-off messages alike, newest first. With
 * `visibleTo`, only those of runs that user started or that run their flows (event journeys included), and their own one-offs.
 */
export async function listContactDeliveries(
  db: Db,
  contactId: string,
  options: { visibleTo?: string; limit?: number } = {},
): Promise<ContactDelivery[]> {
  let q = db
    .selectFrom('deliveryAttempts')
    .leftJoin('runs', 'runs.id', 'deliveryAttempts.runId')
    // A journey an API event started has an event entry for its runId instead of a run.
    .leftJoin('eventEntries', 'eventEntries.id', 'deliveryAttempts.runId')
    .leftJoin('flows', (join) => join.on(sql<boolean>`flows.id = coalesce(runs.flow_id, event_entries.flow_id)`))
    .leftJoin('directSends', 'directSends.id', 'deliveryAttempts.runId')
    .selectAll('deliveryAttempts')
    .select(['flows.name as flowName', sql<number | null>`coalesce(runs.version, event_entries.version)`.as('flowVersion')])
    .where('deliveryAttempts.contactId', '=', contactId);
  const user = options.visibleTo;
  if (user !== undefined) {
    q = q.where((eb) => eb.or([eb('runs.ownerId', '=', user), eb('flows.ownerId', '=', user), eb('directSends.sentBy', '=', user)]));
  }
  return q
    .orderBy('deliveryAttempts.id', 'desc')
    .limit(options.limit ?? 500)
    .execute();
}

/** How long one attempt holds a send: longer than any one SMTP transaction (its timeouts are 60 s). */
export const LEASE_MS = 120_000;

/**
 * Commits an attempt's outcome, retrying the database for up to a minute: once the server has
 * answered, its answer is recorded, never turned into a resend by a failed write.
 */
export async function commitOutcome(db: Db, attempt: Omit<DeliveryAttempt, 'id' | 'at'>, also?: (trx: Db) => Promise<void>): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      return await recordDeliveryAttempt(db, attempt, also);
    } catch (err) {
      if (tries >= 30) throw err;
      await delay(Math.min(2_000, 100 * tries));
    }
  }
}

/**
 * Keeps every send an attempt holds at one node leased until at least `untilMs` (never shortens one).
 * On PostgreSQL a send another statement is writing right now (its outcome being committed, its lease
 * extended before DATA) is skipped rather than waited for: waiting on rows while holding others is how
 * batches deadlocked each other, and the next renewal, 5 s later, is long before the lease runs out.
 */
/** The sends an attempt holds at one node: in the partial index sends_held (migration 480), which holds only sends being sent. */
const heldBy = (runId: string, nodeId: string, owner: string) =>
  sql`run_id = ${runId} AND node_id = ${nodeId} AND lease_owner = ${owner} AND status = 'SENDING'`;

export async function renewLeases(db: Db, runId: string, nodeId: string, owner: string, untilMs: number): Promise<void> {
  const mine = heldBy(runId, nodeId, owner);
  const set = sql`lease_until = ${greatest(db, sql`lease_until`, bigint(untilMs))}`;
  // (A materialized CTE: the locking SELECT runs once, never again for each row of the node.)
  if (dialectOf(db) === 'postgres')
    await sql`WITH held AS MATERIALIZED (SELECT contact_id FROM sends WHERE ${mine} FOR UPDATE SKIP LOCKED)
      UPDATE sends SET ${set} FROM held WHERE sends.run_id = ${runId} AND sends.node_id = ${nodeId} AND sends.contact_id = held.contact_id`.execute(
      db,
    );
  else await sql`UPDATE sends SET ${set} WHERE ${mine}`.execute(db);
}

/** SQLite's plan for the renewal's search (what test/send-lease-renewal.test.ts checks). */
export async function explainLeaseRenewal(db: Db, runId: string, nodeId: string, owner: string): Promise<string[]> {
  const { rows } = await sql<{ detail: string }>`EXPLAIN QUERY PLAN UPDATE sends SET lease_until = 0 WHERE ${heldBy(runId, nodeId, owner)}`.execute(
    db,
  );
  return rows.map((r) => r.detail);
}

/** holdSend for many sends at once (one statement): the ones this attempt still holds, their leases extended. */
export async function holdSends(db: Db, runId: string, nodeId: string, contactIds: string[], owner: string, untilMs: number): Promise<Set<string>> {
  if (contactIds.length === 0) return new Set();
  const held = await db
    .updateTable('sends')
    .set({ leaseUntil: untilMs })
    .where('runId', '=', runId)
    .where('nodeId', '=', nodeId)
    .where('contactId', 'in', contactIds)
    .where('status', '=', 'SENDING')
    .where('leaseOwner', '=', owner)
    .returning('contactId')
    .execute();
  return new Set(held.map((r) => r.contactId));
}

/** The number of the latest attempt logged for a send (0 for none): the next row of its log has the next one. */
export async function lastAttemptNumber(db: Db, key: SendKey): Promise<number> {
  const row = await db
    .selectFrom('deliveryAttempts')
    .select((eb) => eb.fn.max('attempt').as('last'))
    .where('runId', '=', key.runId)
    .where('nodeId', '=', key.nodeId)
    .where('contactId', '=', key.contactId)
    .executeTakeFirst();
  return Number(row?.last ?? 0);
}
