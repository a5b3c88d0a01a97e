/**
 * A recipient's story as the database holds it: what the campaign decided for them at the steps that send
 * nothing (recipient_events, written where the cohort moves them: server/db/due-recipients.ts), each delivery
 * attempt, and each webhook call, for one run and one contact. Each read is one indexed range.
 */
import type { Db, Tables } from '.';
import type { DeliveryAttempt } from './deliveries';

export type RecipientEvent = Tables['recipientEvents'];

/** The recipient's row in the run: where it is now, and the workflow that holds it (the campaign's, or its own retry). */
export function runRecipientRow(db: Db, runId: string, contactId: string) {
  return db
    .selectFrom('runRecipients')
    .select(['contactId', 'nodeId', 'status', 'dueAt', 'waitingIn', 'workflowId', 'updatedAt'])
    .where('runId', '=', runId)
    .where('contactId', '=', contactId)
    .executeTakeFirst();
}

/** What the campaign decided for them, oldest first. */
export function recipientEvents(db: Db, runId: string, contactId: string): Promise<RecipientEvent[]> {
  return db.selectFrom('recipientEvents').selectAll().where('runId', '=', runId).where('contactId', '=', contactId).orderBy('at').execute();
}

/** Their delivery attempts in this run, oldest first. */
export function recipientAttempts(db: Db, runId: string, contactId: string): Promise<DeliveryAttempt[]> {
  return db
    .selectFrom('deliveryAttempts')
    .selectAll()
    .where('runId', '=', runId)
    .where('contactId', '=', contactId)
    .orderBy('at')
    .orderBy('id')
    .execute();
}

/** Their webhook calls in this run (a journey's), oldest first. */
export function recipientWebhookCalls(db: Db, runId: string, contactId: string): Promise<Tables['webhookCalls'][]> {
  return db
    .selectFrom('webhookCalls')
    .selectAll()
    .where('runId', '=', runId)
    .where('contactId', '=', contactId)
    .orderBy('at')
    .orderBy('attempt')
    .execute();
}

/** The contact's email and name (null once the contact is deleted). */
export function contactShown(db: Db, contactId: string) {
  return db.selectFrom('contacts').select(['email', 'name']).where('id', '=', contactId).executeTakeFirst();
}
