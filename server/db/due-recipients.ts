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

/** A recipient moved on from a Delay or Send window: where to, when it is due, and what the step decided (the story's event). */
export interface Rescheduled {
  contactId: string;
  next: string;
  dueAt: number;
  /** A Delay: the wait drawn for it (ms). */
  waitedMs?: number;
  /** A Send window: when the window opened for it (ms). */
  windowOpensAt?: number;
}

/**
 * Moves each of these recipients from `nodeId` (a Delay or Send window, where they wait till then) to its next node, due at its
 * own time, and records what the step decided for each (recipient_events, in chunks): one transaction.
 */
export async function rescheduleRecipients(db: Db, runId: string, nodeId: string, kind: 'delay' | 'window', nowMs: number, moves: Rescheduled[]) {
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
    for (let i = 0; i < moves.length; i += CHUNK) {
      const rows = moves.slice(i, i + CHUNK).map((m) => ({
        runId,
        contactId: m.contactId,
        nodeId,
        kind,
        at: nowMs,
        dueAt: m.dueAt,
        waitedMs: m.waitedMs ?? null,
        windowOpensAt: m.windowOpensAt ?? null,
      }));
      await trx.insertInto('recipientEvents').values(rows).execute();
    }
  });
}

/**
 * Moves pending recipients from `nodeId` (a Condition, A/B split or Wait until) on, each branch's to its next node, keeping their due
 * time, and records the branch each took: one UPDATE and one INSERT per chunk, all in one transaction.
 */
export async function moveRecipientsOn(
  db: Db,
  runId: string,
  nodeId: string,
  nowMs: number,
  byBranch: ReadonlyMap<string, { next: string; contactIds: string[] }>,
) {
  const at = now();
  await db.transaction().execute(async (trx) => {
    for (const [branch, { next, contactIds }] of byBranch) {
      for (let i = 0; i < contactIds.length; i += CHUNK) {
        const chunk = contactIds.slice(i, i + CHUNK);
        await trx
          .updateTable('runRecipients')
          // Leaving a Wait until ends its wait (a Condition's and a split's recipients have none).
          .set({ nodeId: next, waitDeadline: null, waitMetAt: null, updatedAt: at })
          .where('runId', '=', runId)
          .where('status', '=', 'pending')
          .where('nodeId', '=', nodeId)
          .where('contactId', 'in', chunk)
          .execute();
        await trx
          .insertInto('recipientEvents')
          .values(
            chunk.map((contactId) => ({
              runId,
              contactId,
              nodeId,
              kind: 'branch' as const,
              at: nowMs,
              dueAt: nowMs,
              nextNodeId: next,
              reason: branch,
            })),
          )
          .execute();
      }
    }
  });
}

/**
 * Every recipient due at this node (a Delay, where they wait till then) moves to `next`, its due time pushed back by `byMs`,
 * each recorded as waiting `byMs` there: one INSERT … SELECT and one UPDATE, in one transaction. Returns how many.
 */
export async function delayDueRecipients(db: Db, runId: string, nodeId: string, nowMs: number, next: string, byMs: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const number = (n: number) => sql<number>`cast(${n} as bigint)`;
    await trx
      .insertInto('recipientEvents')
      .columns(['runId', 'contactId', 'nodeId', 'kind', 'at', 'dueAt', 'waitedMs'])
      .expression(
        dueAtNode(trx, runId, nodeId, nowMs)
          .clearLimit()
          .select((eb) => [
            'runId',
            'contactId',
            sql<string>`cast(${nodeId} as text)`.as('nodeId'),
            sql<string>`cast(${'delay'} as text)`.as('kind'),
            number(nowMs).as('at'),
            eb('dueAt', '+', number(byMs)).as('dueAt'),
            number(byMs).as('waitedMs'),
          ]),
      )
      .execute();
    const r = await dueUpdate(trx, runId, nodeId, nowMs)
      .set((eb) => ({ nodeId: next, dueAt: eb('dueAt', '+', byMs), waitingIn: nodeId, updatedAt: now() }))
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  });
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
