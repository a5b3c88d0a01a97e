/**
 * Who may not be mailed: recipients found unsubscribed or suppressed when their message comes due are
 * skipped (logged with the reason, never a failure), and a bounce naming the mailbox suppresses it.
 */
import type { SubscriptionStatus } from '../../domain/contact';
import { now, type Db } from '.';
import type { ClaimedRecipient } from './recipients';

/**
 * Of these recipients (claimed by a batch, status 'sending'), skips those no longer subscribed: each
 * gets a 'skipped' delivery log row with the reason and leaves the flow, in one transaction.
 * Returns the ones to send.
 */
export async function skipUnmailable(
  db: Db,
  run: { runId: string; nodeId: string; workflowId: string },
  recipients: ClaimedRecipient[],
): Promise<ClaimedRecipient[]> {
  const skipped = recipients.filter((r) => r.status !== 'subscribed');
  if (skipped.length === 0) return recipients;
  const reasons = await db
    .selectFrom('contacts')
    .select(['id', 'status', 'statusReason', 'statusAt'])
    .where(
      'id',
      'in',
      skipped.map((r) => r.contactId),
    )
    .execute();
  const at = now();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('deliveryAttempts')
      .values(
        reasons.map((c) => ({
          runId: run.runId,
          nodeId: run.nodeId,
          contactId: c.id,
          workflowId: run.workflowId,
          attempt: 0,
          outcome: 'skipped' as const,
          smtpCode: null,
          smtpReply: skipReason(c),
          messageId: '',
          at,
        })),
      )
      .execute();
    await trx
      .updateTable('runRecipients')
      .set({ status: 'skipped', claim: null, updatedAt: at })
      .where('runId', '=', run.runId)
      .where('status', '=', 'sending')
      .where(
        'contactId',
        'in',
        skipped.map((r) => r.contactId),
      )
      .execute();
  });
  return recipients.filter((r) => r.status === 'subscribed');
}

/** What the delivery log says for a contact not mailed: its status, why and since when. */
export function skipReason(c: { status: string; statusReason: string | null; statusAt: string | null }): string {
  return `skipped: the contact is ${c.status}${c.statusReason ? ` (${c.statusReason}` : ' ('}${c.statusAt ? `${c.statusReason ? ', ' : ''}since ${c.statusAt}` : ''})`.replace(
    ' ()',
    '',
  );
}

/** A bounce named the mailbox (550 5.1.1 and the like): the contact is suppressed with the server's reply, unless already. */
export async function suppressContact(db: Db, contactId: string, reply: string): Promise<void> {
  await db
    .updateTable('contacts')
    .set({ status: 'suppressed', statusReason: `bounced: ${reply}`.slice(0, 500), statusAt: now() })
    .where('id', '=', contactId)
    .where('status', '!=', 'suppressed')
    .execute();
}

/** A contact who is not mailed, as the suppressions page lists it. */
export interface Suppression {
  contactId: string;
  email: string;
  name: string;
  status: Exclude<SubscriptionStatus, 'subscribed'>;
  reason: string | null;
  at: string | null;
}

/** The page's query: every contact not subscribed (the contacts_unmailable index), or one status. */
function unmailable(db: Db, status: Suppression['status'] | undefined) {
  const q = db.selectFrom('contacts').where('status', '<>', 'subscribed');
  return status ? q.where('status', '=', status) : q;
}

/** One page of the contacts not mailed (unsubscribed, suppressed, or one of them), latest change first, and how many. */
export async function listSuppressions(
  db: Db,
  status: Suppression['status'] | undefined,
  page: { offset: number; limit: number },
): Promise<{ items: Suppression[]; total: number }> {
  const rows = await unmailable(db, status)
    .select(['id', 'email', 'name', 'status', 'statusReason', 'statusAt'])
    .orderBy('statusAt', 'desc')
    .orderBy('id', 'desc')
    .offset(page.offset)
    .limit(page.limit)
    .execute();
  const total = await unmailable(db, status)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return {
    items: rows.map((r) => ({
      contactId: r.id,
      email: r.email,
      name: r.name,
      status: r.status === 'suppressed' ? 'suppressed' : 'unsubscribed',
      reason: r.statusReason,
      at: r.statusAt,
    })),
    total: Number(total.n),
  };
}
