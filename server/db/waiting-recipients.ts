/**
 * Campaign recipients at a Wait until (server/cohort/steps/wait-until.ts): those due there, starting
 * their wait (due again at its end), and the API event path that marks a contact's waits met (or due
 * for another look at their condition). Moving them on is `moveRecipientsOn` (due-recipients.ts).
 */
import type { Plan } from '../../domain/flow/plan';
import { type Db, now } from '.';

const DUE_PAGE = 5000;
const CHUNK = 500;

export interface DueWaiter {
  contactId: string;
  /** When its longest wait ends; null: it has just arrived and waits for nothing yet. */
  waitDeadline: number | null;
  /** When the event it waits for came; null until then. */
  waitMetAt: number | null;
}

/** A page of the recipients due at this Wait until: arriving, met, or at the end of their wait. */
export function dueWaiters(db: Db, runId: string, nodeId: string, nowMs: number): Promise<DueWaiter[]> {
  return db
    .selectFrom('runRecipients')
    .select(['contactId', 'waitDeadline', 'waitMetAt'])
    .where('runId', '=', runId)
    .where('status', '=', 'pending')
    .where('nodeId', '=', nodeId)
    .where('dueAt', '<=', nowMs)
    .limit(DUE_PAGE)
    .execute();
}

/**
 * These recipients wait at the Wait until from now until `deadline` (or longer: the same deadline for a
 * recipient already waiting), due then; a recipient newly waiting gets a 'wait' event in its story. One transaction.
 */
export async function waitUntilDeadline(
  db: Db,
  runId: string,
  nodeId: string,
  nowMs: number,
  waits: { contactId: string; deadline: number; arriving: boolean }[],
) {
  const at = now();
  await db.transaction().execute(async (trx) => {
    // Those arriving together share their deadline: one UPDATE per chunk of each deadline.
    const byDeadline = new Map<number, { contactId: string }[]>();
    for (const w of waits) {
      const group = byDeadline.get(w.deadline) ?? [];
      group.push(w);
      byDeadline.set(w.deadline, group);
    }
    for (const [deadline, group] of byDeadline) {
      for (let i = 0; i < group.length; i += CHUNK) {
        await trx
          .updateTable('runRecipients')
          .set({ dueAt: deadline, waitDeadline: deadline, waitingIn: nodeId, updatedAt: at })
          .where('runId', '=', runId)
          .where(
            'contactId',
            'in',
            group.slice(i, i + CHUNK).map((w) => w.contactId),
          )
          .where('nodeId', '=', nodeId)
          .where('status', '=', 'pending')
          .where('waitMetAt', 'is', null)
          .execute();
      }
    }
    const arriving = waits.filter((w) => w.arriving);
    for (let i = 0; i < arriving.length; i += CHUNK) {
      const rows = arriving.slice(i, i + CHUNK).map((w) => ({
        runId,
        contactId: w.contactId,
        nodeId,
        kind: 'wait' as const,
        at: nowMs,
        dueAt: w.deadline,
        waitedMs: w.deadline - nowMs,
      }));
      await trx.insertInto('recipientEvents').values(rows).execute();
    }
  });
}

/** A contact's waits at a Wait until in campaigns still going: each with its run's plan. At most `limit`. */
export async function contactWaits(db: Db, contactId: string, limit = 100): Promise<{ runId: string; nodeId: string; plan: Plan }[]> {
  const rows = await db
    .selectFrom('runRecipients')
    .innerJoin('runs', 'runs.id', 'runRecipients.runId')
    .select(['runRecipients.runId', 'runRecipients.nodeId', 'runs.plan'])
    .where('runRecipients.contactId', '=', contactId)
    .where('runRecipients.waitDeadline', 'is not', null)
    .where('runRecipients.status', '=', 'pending')
    .where('runRecipients.waitMetAt', 'is', null)
    .where('runs.status', 'in', ['running', 'paused'])
    .limit(limit)
    .execute();
  return rows.flatMap((r) => (r.nodeId && r.plan ? [{ runId: r.runId, nodeId: r.nodeId, plan: JSON.parse(r.plan) as Plan }] : []));
}

/**
 * An event for the contact came while it waits at this Wait until (before its wait ended): `met` marks
 * the event as come; otherwise the recipient is only due now, for another look at its condition. Returns
 * whether the wait was still there to mark.
 */
export async function markWait(db: Db, w: { runId: string; nodeId: string; contactId: string }, atMs: number, met: boolean): Promise<boolean> {
  const r = await db
    .updateTable('runRecipients')
    .set({ dueAt: atMs, ...(met ? { waitMetAt: atMs } : {}), updatedAt: now() })
    .where('runId', '=', w.runId)
    .where('contactId', '=', w.contactId)
    .where('nodeId', '=', w.nodeId)
    .where('status', '=', 'pending')
    .where('waitMetAt', 'is', null)
    .where('waitDeadline', '>=', atMs)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
