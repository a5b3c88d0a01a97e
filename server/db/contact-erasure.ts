/**
 * Deleting a contact: their data leaves the app database, and what must stay (the send ledger, the
 * delivery log, run recipients, event entries, one-off sends) stays anonymised under a stand-in id,
 * `deleted-<hash>`, which names no one and cannot be turned back into the contact id.
 */
import { createHash } from 'node:crypto';
import { oneOffWorkflowId } from '../../workflows/contracts';
import { type Db, dialectOf, now, sql } from '.';

/** What a deleted contact's rows say instead of their id: the same for all their rows, so a run's counts still add up. */
export const anonymisedContactId = (contactId: string) => `deleted-${createHash('sha256').update(contactId).digest('hex').slice(0, 16)}`;

/** Where a deleted contact's email stood in a reply or a reason. */
export const DELETED_CONTACT = 'deleted contact';

/**
 * The per-contact workflows that may still act for a contact: journeys from API events, journeys of
 * runs from before campaigns, retry workflows of campaign recipients, and one-off messages. Campaign
 * workflows serve many contacts and are not among them (their recipients are cancelled in the database).
 */
export async function contactWorkflowIds(db: Db, contactId: string): Promise<string[]> {
  const [events, recipients, oneOffs] = await Promise.all([
    db.selectFrom('eventEntries').select('workflowId').where('contactId', '=', contactId).execute(),
    db.selectFrom('runRecipients').select('workflowId').where('contactId', '=', contactId).where('status', 'in', ['retrying', 'journey']).execute(),
    db.selectFrom('directSends').select('id').where('contactId', '=', contactId).where('kind', '=', 'one-off').execute(),
  ]);
  return [
    ...new Set([
      ...events.map((e) => e.workflowId),
      ...recipients.map((r) => r.workflowId),
      ...oneOffs.map((o) => oneOffWorkflowId(contactId, o.id)),
    ]),
  ];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Erases a contact in one transaction: the contact row (with their attributes), their list
 * memberships and their import de-duplication keys are deleted; their delivery log rows, ledger
 * rows, run recipients, event entries and one-off sends keep their place under the stand-in id, with
 * the email taken out of SMTP replies and import reasons. Recipients still due in a run are cancelled,
 * so no batch claims them. Returns the email, or undefined when there was no such contact.
 */
export async function eraseContact(db: Db, contactId: string): Promise<{ email: string; anonymisedId: string } | undefined> {
  return db.transaction().execute(async (trx) => {
    const contact = await trx.selectFrom('contacts').select(['id', 'email']).where('id', '=', contactId).executeTakeFirst();
    if (!contact) return undefined;
    const anon = anonymisedContactId(contactId);
    const email = contact.email;
    const mentions = new RegExp(escapeRegExp(email), 'gi');
    const like = `%${email.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    // Any case, as `mentions` finds them: SQLite's LIKE ignores case; PostgreSQL's needs ILIKE.
    const likeAnyCase = sql.raw(dialectOf(db) === 'postgres' ? 'ILIKE' : 'LIKE');
    const at = now();

    // Still due in a run: cancelled, so that no batch claims them (a batch holding one right now finds no contact).
    await trx
      .updateTable('runRecipients')
      .set({ status: 'cancelled', claim: null, updatedAt: at })
      .where('contactId', '=', contactId)
      .where('status', 'in', ['pending', 'sending', 'retrying', 'held'])
      .execute();
    await trx.updateTable('runRecipients').set({ contactId: anon }).where('contactId', '=', contactId).execute();
    await trx.updateTable('sends').set({ contactId: anon }).where('contactId', '=', contactId).execute();

    // The delivery log keeps each attempt, anonymised: the stand-in id, and no email in the server's reply.
    const replies = await trx
      .selectFrom('deliveryAttempts')
      .select(['id', 'smtpReply'])
      .where('contactId', '=', contactId)
      .where(sql<boolean>`smtp_reply ${likeAnyCase} ${like} ESCAPE '\\'`)
      .execute();
    for (const r of replies) {
      await trx
        .updateTable('deliveryAttempts')
        .set({ smtpReply: r.smtpReply.replace(mentions, DELETED_CONTACT) })
        .where('id', '=', r.id)
        .execute();
    }
    await trx.updateTable('deliveryAttempts').set({ contactId: anon }).where('contactId', '=', contactId).execute();

    // Webhook calls keep their status under the stand-in id (their detail is the answer's status line or a connection error).
    await trx.updateTable('webhookCalls').set({ contactId: anon }).where('contactId', '=', contactId).execute();

    // A journey's conversion still counts, under the stand-in id.
    await trx.updateTable('journeyConversions').set({ contactId: anon }).where('contactId', '=', contactId).execute();
    // What the campaign decided for them (waits, windows, branches) stays with the run's story, under the stand-in id.
    await trx.updateTable('recipientEvents').set({ contactId: anon }).where('contactId', '=', contactId).execute();
    // Their opens and clicks still count in the run's report, under the stand-in id, without their user agent.
    await trx.updateTable('trackingEvents').set({ contactId: anon, userAgent: '' }).where('contactId', '=', contactId).execute();

    // Event entries stay (their id is a journey's runId in the log), without the contact or the client's key.
    const entries = await trx.selectFrom('eventEntries').select(['id', 'idempotencyKey']).where('contactId', '=', contactId).execute();
    // A journey of a list's not started yet never starts for them.
    if (entries.length > 0)
      await trx
        .deleteFrom('listEntryStarts')
        .where(
          'entryId',
          'in',
          entries.map((e) => e.id),
        )
        .execute();
    for (const e of entries) {
      const key = `deleted-${createHash('sha256').update(e.idempotencyKey).digest('hex').slice(0, 16)}`;
      await trx.updateTable('eventEntries').set({ contactId: anon, idempotencyKey: key }).where('id', '=', e.id).execute();
    }

    // One-off messages and test emails to this address: who sent what when stays, not to whom.
    await trx.updateTable('directSends').set({ contactId: anon, recipient: DELETED_CONTACT }).where('contactId', '=', contactId).execute();
    await trx.updateTable('directSends').set({ recipient: DELETED_CONTACT }).where(sql<string>`lower(recipient)`, '=', email.toLowerCase()).execute();

    // Imports: the de-duplication key is the email itself; a problem's reason may quote it.
    await trx.deleteFrom('importEmails').where('emailKey', '=', email.toLowerCase()).execute();
    const problems = await trx
      .selectFrom('importProblems')
      .select(['importId', 'line', 'reason'])
      .where(sql<boolean>`reason ${likeAnyCase} ${like} ESCAPE '\\'`)
      .execute();
    for (const p of problems) {
      await trx
        .updateTable('importProblems')
        .set({ reason: p.reason.replace(mentions, DELETED_CONTACT) })
        .where('importId', '=', p.importId)
        .where('line', '=', p.line)
        .execute();
    }

    await trx.deleteFrom('listMembers').where('contactId', '=', contactId).execute();
    // Whom flows saw in their segment, and the changes waiting to be looked at (migration 420).
    await trx.deleteFrom('segmentWatchMembers').where('contactId', '=', contactId).execute();
    await trx.deleteFrom('segmentChecks').where('contactId', '=', contactId).execute();
    await trx.deleteFrom('contacts').where('id', '=', contactId).execute();
    return { email, anonymisedId: anon };
  });
}
