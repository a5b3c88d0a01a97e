/**
 * Deleting a contact (admins): their per-contact workflows are cancelled on Temporal, then their data
 * leaves the app database and what must stay is anonymised (`eraseContact`). Cancelling comes first,
 * so that when Temporal cannot be reached nothing is deleted and the admin can try again; a journey
 * that wakes up in between finds no contact and sends nothing. Cancelling again after the erase catches
 * a journey an API event started meanwhile.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { AppUser } from './auth';
import type { Db } from './db';
import { contactWorkflowIds, eraseContact } from './db/contact-erasure';
import { isOneOffWorkflowId } from '../workflows/contracts';
import { UserError } from './errors';

/** Temporal did not answer a cancel: nothing was deleted (the API answers 503: try again). */
export class JourneysNotCancelled extends Error {
  constructor(workflowId: string, cause: unknown) {
    super(`could not cancel the contact's workflow ${workflowId} on Temporal; nothing was deleted, try again`, { cause });
    this.name = 'JourneysNotCancelled';
  }
}

export interface ContactDeleted {
  contactId: string;
  /** The id the delivery log and run recipients now show for them. */
  anonymisedId: string;
  /** Per-contact workflows that were running and were asked to stop (journeys, retries, one-off messages). */
  cancelledWorkflows: number;
}

/** Asks each running workflow to cancel; those finished (or never started) are skipped. Returns how many were running. */
async function cancelAll(temporal: Client, workflowIds: string[]): Promise<number> {
  let cancelled = 0;
  for (let i = 0; i < workflowIds.length; i += 20) {
    const results = await Promise.all(
      workflowIds.slice(i, i + 20).map(async (id) => {
        try {
          const handle = temporal.workflow.getHandle(id);
          if ((await handle.describe()).status.name !== 'RUNNING') return 0;
          await handle.cancel();
          return 1;
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return 0;
          throw new JourneysNotCancelled(id, err);
        }
      }),
    );
    cancelled += results.reduce<number>((a, b) => a + b, 0);
  }
  return cancelled;
}

export async function deleteContact(db: Db, temporal: Client, actor: Pick<AppUser, 'role'>, contactId: string): Promise<ContactDeleted> {
  if (actor.role !== 'admin') throw new UserError(403, 'admin_only', 'only admins may delete contacts; ask an admin');
  const before = await contactWorkflowIds(db, contactId);
  let cancelledWorkflows = await cancelAll(temporal, before);
  const erased = await eraseContact(db, contactId);
  if (!erased) throw new UserError(404, 'contact_not_found', `contact "${contactId}" does not exist`);
  const since = (await contactWorkflowIds(db, erased.anonymisedId)).filter((id) => !before.includes(id) && !isOneOffWorkflowId(id));
  // The contact is gone now: a journey that could not be cancelled here finds no one to send to.
  cancelledWorkflows += await cancelAll(temporal, since).catch(() => 0);
  return { contactId, anonymisedId: erased.anonymisedId, cancelledWorkflows };
}
