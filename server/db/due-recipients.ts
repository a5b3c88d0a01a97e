/**
 * The named operations a campaign's step handlers (server/cohort/steps/*) use on the recipients due at
 * one node: read a page of them, and move them on (one transaction per page). What each step does
 * with them is in its handler; only the SQL is here.
 */
import { type Db, dialectOf, now, sql } from '.';

const DUE_PAGE = 5000;
const CHUNK = 500;

function dueAtNode(db: Db, runId: string, nodeId: string, nowMs: number) {
  return db
    .selectFrom('runRecipients')
    .where('runRecipients.runId', '=', runId)
    .where('runRecipients.status', '=', 'pending')
    .where('runRecipients.nodeId', '=', nodeId)
    .where('runRecipients.dueAt', '<=', nowMs)
    .limit(DUE_PAGE);
}

/** A page of the recipients due at this node, with their due time. */
export function dueRecipients(db: Db, runId: string, nodeId: string, nowMs: number): Promise<{ contactId: string; dueAt: number }[]> {
  return dueAtNode(db, runId, nodeId, nowMs).select(['contactId', 'dueAt']).execute();
}

/** The contact's `timezone` attribute, as its JSON value (attributes are JSON text in both databases). */
const timezone = (db: Db) =>
  dialectOf(db) === 'postgres'
    ? sql<unknown>`(contacts.attributes::jsonb -> 'timezone')`
    : sql<unknown>`json_extract(contacts.attributes, '$.timezone')`;

/** A page of the recipients due at this node, with their contact's `timezone` attribute (anything, as stored). */
export function dueRecipientZones(db: Db, runId: string, nodeId: string, nowMs: number): Promise<{ contactId: string; timezone: unknown }[]> {
  return dueAtNode(db, runId, nodeId, nowMs)
    .innerJoin('contacts', 'contacts.id', 'runRecipients.contactId')
    .select(['runRecipients.contactId', timezone(db).as('timezone')])
    .execute();
}

/** Moves each of these recipients from `nodeId` (a Delay or Send window, where they wait till then) to its next node, due at its own time: one transaction. */
export async function rescheduleRecipients(db: Db, runId: string, nodeId: string, moves: { contactId: string; next: string; dueAt: number }[]) {
  const at = now();
  await db.transaction().execute(async (trx) => {
    for (const m of moves) {
      await trx
        .updateTable('runRecipients')
        .set({ nodeId: m.next, dueAt: m.dueAt, waitingIn: nodeId, updatedAt: at })
        .where('runId', '=', runId)
        .where('contactId', '=', m.contactId)
        .where('nodeId', '=', nodeId)
        .execute();
    }
  });
}

/**
 * Moves pending recipients from `nodeId` on, each group to its next node (the map's key), keeping
 * their due time: one UPDATE per chunk, all in one transaction.
 */
export async function moveRecipientsOn(db: Db, runId: string, nodeId: string, byNext: ReadonlyMap<string, string[]>) {
  const at = now();
  await db.transaction().execute(async (trx) => {
    for (const [next, members] of byNext) {
      for (let i = 0; i < members.length; i += CHUNK) {
        await trx
          .updateTable('runRecipients')
          .set({ nodeId: next, updatedAt: at })
          .where('runId', '=', runId)
          .where('status', '=', 'pending')
          .where('nodeId', '=', nodeId)
          .where('contactId', 'in', members.slice(i, i + CHUNK))
          .execute();
      }
    }
  });
}

/** Every recipient due at this node (a Delay, where they wait till then) moves to `next`, its due time pushed back by `byMs` (one UPDATE). Returns how many. */
export async function delayDueRecipients(db: Db, runId: string, nodeId: string, nowMs: number, next: string, byMs: number): Promise<number> {
  const r = await dueUpdate(db, runId, nodeId, nowMs)
    .set((eb) => ({ nodeId: next, dueAt: eb('dueAt', '+', byMs), waitingIn: nodeId, updatedAt: now() }))
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Every recipient due at this node has finished the flow (one UPDATE). Returns how many. */
export async function completeDueRecipients(db: Db, runId: string, nodeId: string, nowMs: number): Promise<number> {
  const r = await dueUpdate(db, runId, nodeId, nowMs).set({ status: 'completed', nodeId: null, updatedAt: now() }).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

function dueUpdate(db: Db, runId: string, nodeId: string, nowMs: number) {
  return db
    .updateTable('runRecipients')
    .where('runId', '=', runId)
    .where('status', '=', 'pending')
    .where('nodeId', '=', nodeId)
    .where('dueAt', '<=', nowMs);
}

/**
 * A Send whose outcome a later Condition tests (`continueOnFailure`): its failed and skipped recipients
 * go on to its next step, due now, instead of leaving the flow. Returns how many.
 */
export async function continueAfterFailedSends(db: Db, runId: string, nodeId: string, next: string, nowMs: number): Promise<number> {
  const r = await db
    .updateTable('runRecipients')
    .set({ status: 'pending', nodeId: next, dueAt: nowMs, claim: null, updatedAt: now() })
    .where('runId', '=', runId)
    .where('nodeId', '=', nodeId)
    .where('status', 'in', ['failed', 'skipped'])
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
