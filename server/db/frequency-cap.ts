/**
 * The frequency cap: at most `maxEmails` marketing emails per contact per `periodHours`, across every
 * flow, counted at send time from the delivery log (its 'sent' rows; one-off messages and test emails
 * are transactional, not counted and never capped). A capped send is logged `frequency_capped` and,
 * as its Send step chooses, skipped (it leaves the flow, like an unsubscribed contact) or put off until
 * the oldest counted email leaves the window (then checked again).
 */
import { type FrequencyCap, periodName } from '../../domain/frequency-cap';
import { type Db, now } from '.';
import { ONE_OFF_RUN_PREFIX } from '../unsubscribe';
import type { ClaimedRecipient } from './recipients';

/** The workspace's cap; undefined while it is off (the default). */
export async function getFrequencyCap(db: Db): Promise<FrequencyCap | undefined> {
  const row = await db.selectFrom('frequencyCap').select(['maxEmails', 'periodHours']).where('id', '=', 1).executeTakeFirst();
  return row ? { maxEmails: Number(row.maxEmails), periodHours: Number(row.periodHours) } : undefined;
}

/** Turns the cap on (or changes it), or off with null. */
export async function setFrequencyCap(db: Db, cap: FrequencyCap | null): Promise<void> {
  if (!cap) {
    await db.deleteFrom('frequencyCap').where('id', '=', 1).execute();
    return;
  }
  const row = { ...cap, updatedAt: now() };
  await db
    .insertInto('frequencyCap')
    .values({ id: 1, ...row })
    .onConflict((oc) => oc.column('id').doUpdateSet(row))
    .execute();
}

/**
 * Of these contacts, those at the cap at `nowMs`, each with when its oldest counted email leaves the
 * window (ms). One query for them all (index delivery_attempts_contact_time), so a batch pays it once.
 */
export async function cappedContacts(
  db: Db,
  cap: FrequencyCap,
  contactIds: string[],
  nowMs: number,
  /** The send being checked: its own earlier delivery (an attempt that died before moving on) does not count. */
  own: { runId: string; nodeId: string },
): Promise<Map<string, number>> {
  const capped = new Map<string, number>();
  if (contactIds.length === 0) return capped;
  const periodMs = cap.periodHours * 3600_000;
  const rows = await db
    .selectFrom('deliveryAttempts')
    .select((eb) => ['contactId', eb.fn.countAll().as('emails'), eb.fn.min('at').as('oldest')])
    .where('contactId', 'in', contactIds)
    .where('outcome', '=', 'sent')
    .where('at', '>=', new Date(nowMs - periodMs).toISOString())
    .where('runId', 'not like', `${ONE_OFF_RUN_PREFIX}_%`)
    .where((eb) => eb.or([eb('runId', '!=', own.runId), eb('nodeId', '!=', own.nodeId)]))
    .groupBy('contactId')
    .execute();
  for (const r of rows) {
    if (Number(r.emails) >= cap.maxEmails) capped.set(r.contactId, Date.parse(String(r.oldest)) + periodMs);
  }
  return capped;
}

/** What the delivery log says for a capped send. */
export function cappedReason(cap: FrequencyCap, untilMs: number, whenCapped: 'skip' | 'wait'): string {
  const limit = `frequency capped: ${cap.maxEmails} marketing email${cap.maxEmails === 1 ? '' : 's'} per ${periodName(cap.periodHours)} reached`;
  return whenCapped === 'skip' ? `${limit}; skipped` : `${limit}; waits until ${new Date(untilMs).toISOString()}`;
}

/**
 * Of these recipients (claimed by a batch, status 'sending'), sets aside those at the cap (the batch
 * reads it once): each gets a 'frequency_capped' log row and is skipped (leaves the flow) or due again
 * at this step when its window frees up, in one transaction. Returns the ones to send.
 */
export async function capRecipients<R extends Pick<ClaimedRecipient, 'contactId'>>(
  db: Db,
  cap: FrequencyCap | undefined,
  run: { runId: string; nodeId: string; workflowId: string; whenCapped: 'skip' | 'wait' },
  recipients: R[],
  nowMs: number,
): Promise<R[]> {
  if (!cap || recipients.length === 0) return recipients;
  const capped = await cappedContacts(
    db,
    cap,
    recipients.map((r) => r.contactId),
    nowMs,
    run,
  );
  if (capped.size === 0) return recipients;
  const at = now();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('deliveryAttempts')
      .values(
        [...capped].map(([contactId, until]) => ({
          runId: run.runId,
          nodeId: run.nodeId,
          contactId,
          workflowId: run.workflowId,
          attempt: 0,
          outcome: 'frequency_capped' as const,
          smtpCode: null,
          smtpReply: cappedReason(cap, until, run.whenCapped),
          messageId: '',
          at,
        })),
      )
      .execute();
    for (const [contactId, until] of capped) {
      const move =
        run.whenCapped === 'skip'
          ? { status: 'skipped' as const }
          : { status: 'pending' as const, nodeId: run.nodeId, dueAt: until, waitingIn: run.nodeId };
      await trx
        .updateTable('runRecipients')
        .set({ ...move, claim: null, updatedAt: at })
        .where('runId', '=', run.runId)
        .where('contactId', '=', contactId)
        .where('status', '=', 'sending')
        .execute();
    }
  });
  return recipients.filter((r) => !capped.has(r.contactId));
}
