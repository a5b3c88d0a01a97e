/**
 * Reviewing who is not mailed: admins list unsubscribed and suppressed contacts and lift a suppression
 * (the contact is subscribed again, the reason saying who lifted what). Agents may do neither: a 403.
 */
import type { AppUser } from './auth';
import { getContact, setContactStatus } from './db/contacts';
import type { Db } from './db';
import { listSuppressions, type Suppression } from './db/suppression';
import { UserError } from './errors';

type Admin = Pick<AppUser, 'id' | 'role' | 'email'>;

function adminOnly(actor: Pick<AppUser, 'role'>, what: string): void {
  if (actor.role !== 'admin') throw new UserError(403, 'admin_only', `only admins may ${what}; ask an admin`);
}

export function suppressionsFor(
  db: Db,
  actor: Pick<AppUser, 'role'>,
  status: Suppression['status'] | undefined,
  page: { offset: number; limit: number },
): Promise<{ items: Suppression[]; total: number }> {
  adminOnly(actor, 'see suppressions');
  return listSuppressions(db, status, page);
}

/**
 * Lifts an unsubscribe or a suppression: the contact is subscribed again. 404 for an unknown contact,
 * 409 when they are subscribed already (someone lifted it first). Only from the status the admin saw,
 * in one statement, so two admins lifting at once both answer sensibly.
 */
export async function liftSuppression(db: Db, actor: Admin, contactId: string): Promise<void> {
  adminOnly(actor, 'lift suppressions');
  const contact = await getContact(db, contactId);
  if (!contact) throw new UserError(404, 'contact_not_found', `contact "${contactId}" does not exist`);
  const was = contact.status;
  if (was === 'subscribed' || !(await setContactStatus(db, contactId, 'subscribed', `${was} lifted by ${actor.email}`, [was]))) {
    throw new UserError(409, 'not_suppressed', `${contact.email} is subscribed already: nothing to lift`);
  }
}
