/** The send ledger (one row per run, node and contact) and the delivery log (one row per attempt). */
import { now, type Db } from '.';
import type { AttemptOutcome, SendStatus, Tables } from './tables';

export type DeliveryAttempt = Omit<Tables['deliveryAttempts'], 'id'> & { id: number };
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

export async function setSendStatus(db: Db, key: SendKey, status: SendStatus, messageId: string): Promise<void> {
  const at = now();
  await db
    .insertInto('sends')
    .values({ ...key, status, messageId, updatedAt: at })
    .onConflict((oc) => oc.columns(['runId', 'nodeId', 'contactId']).doUpdateSet({ status, updatedAt: at }))
    .execute();
}

const LEDGER_AFTER: Record<AttemptOutcome, SendStatus> = { sent: 'SENT', failed: 'FAILED', retrying: 'PENDING', uncertain: 'SENDING' };

/**
 * Logs one delivery attempt and, in the same transaction, moves the send ledger on (SENT, FAILED, or
 * back to PENDING for a retry): the log and the ledger never disagree. Where the recipient belongs to a
 * run from before campaigns (status 'journey', its own workflow), its status follows too. Campaign
 * recipients are moved on by the cohort code (recipients.ts), in its own transaction or in this one.
 */
export async function recordDeliveryAttempt(
  db: Db,
  attempt: Omit<DeliveryAttempt, 'id' | 'at'>,
  alsoInTransaction?: (trx: Db) => Promise<void>,
): Promise<void> {
  const at = now();
  const status = LEDGER_AFTER[attempt.outcome];
  const { runId, nodeId, contactId, messageId } = attempt;
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('deliveryAttempts').values({ ...attempt, at }).execute();
    await trx
      .insertInto('sends')
      .values({ runId, nodeId, contactId, status, messageId, updatedAt: at })
      .onConflict((oc) => oc.columns(['runId', 'nodeId', 'contactId']).doUpdateSet({ status, updatedAt: at }))
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

/** The ledger rows of these contacts at one node of a run. */
export async function sendsOf(db: Db, runId: string, nodeId: string, contactIds: string[]) {
  if (contactIds.length === 0) return [];
  return db.selectFrom('sends').selectAll().where('runId', '=', runId).where('nodeId', '=', nodeId).where('contactId', 'in', contactIds).execute();
}

export interface ContactDelivery extends DeliveryAttempt {
  flowName: string | null;
  flowVersion: number | null;
}

/** Every delivery attempt to one contact, campaigns and one-off messages alike, newest first. */
export async function listContactDeliveries(db: Db, contactId: string, limit = 500): Promise<ContactDelivery[]> {
  return db
    .selectFrom('deliveryAttempts')
    .leftJoin('runs', 'runs.id', 'deliveryAttempts.runId')
    .leftJoin('flows', 'flows.id', 'runs.flowId')
    .selectAll('deliveryAttempts')
    .select(['flows.name as flowName', 'runs.version as flowVersion'])
    .where('deliveryAttempts.contactId', '=', contactId)
    .orderBy('deliveryAttempts.id', 'desc')
    .limit(limit)
    .execute();
}
