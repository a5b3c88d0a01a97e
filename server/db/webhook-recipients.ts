/**
 * Campaign recipients at a Webhook step: a page of them is claimed (`claimNextRecipients`, status
 * 'sending' under the page's claim, which survives the activity's retries) and each one, once its call
 * has a final answer, goes on down its branch here.
 */
import { ContactAttributes } from '../../domain/contact';
import { type Db, now } from '.';
import { recipientsHeldBy } from './recipients';

const CHUNK = 500;

export interface HeldContact {
  contactId: string;
  name: string;
  email: string;
  attributes: ContactAttributes;
}

/** The recipients the webhook page `claim` holds, with their contact (attributes parsed; unreadable ones as none). */
export async function heldWebhookRecipients(db: Db, runId: string, claim: string): Promise<HeldContact[]> {
  return (await recipientsHeldBy(db, runId, claim)).map(({ contactId, name, email, attributes }) => {
    let parsed: ContactAttributes = {};
    try {
      const r = ContactAttributes.safeParse(JSON.parse(attributes));
      if (r.success) parsed = r.data;
    } catch {
      // left empty: never a crash over one row
    }
    return { contactId, name, email, attributes: parsed };
  });
}

/** The contacts the webhook page `claim` still holds (whether or not the contact still exists). */
export async function heldContactIds(db: Db, runId: string, claim: string): Promise<string[]> {
  const rows = await db
    .selectFrom('runRecipients')
    .select('contactId')
    .where('runId', '=', runId)
    .where('claim', '=', claim)
    .where('status', '=', 'sending')
    .execute();
  return rows.map((r) => r.contactId);
}

/**
 * These recipients, held by `claim` at the Webhook `nodeId`, go on to `next` (the branch `branch`), due
 * now, and their story records the branch: one UPDATE and one INSERT per chunk, in one transaction.
 */
export async function settleWebhookRecipients(
  db: Db,
  at: { runId: string; nodeId: string; claim: string; nowMs: number },
  branch: string,
  next: string,
  contactIds: string[],
): Promise<void> {
  const { runId, nodeId, claim, nowMs } = at;
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < contactIds.length; i += CHUNK) {
      const chunk = contactIds.slice(i, i + CHUNK);
      const moved = await trx
        .updateTable('runRecipients')
        .set({ status: 'pending', nodeId: next, dueAt: nowMs, claim: null, updatedAt: now() })
        .where('runId', '=', runId)
        .where('claim', '=', claim)
        .where('status', '=', 'sending')
        .where('contactId', 'in', chunk)
        .returning('contactId')
        .execute();
      if (moved.length === 0) continue;
      await trx
        .insertInto('recipientEvents')
        .values(
          moved.map(({ contactId }) => ({
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
  });
}
