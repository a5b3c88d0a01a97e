/**
 * Deleting a user (admins): refused for yourself and for the last admin, with what to do instead.
 * Their flows, runs, private SMTP profiles and imports pass to the admin who deletes them, so flows
 * keep sending (an event journey sends as its flow's owner) and nothing is left without an owner.
 * Their history stays as it was: runs they started and messages they sent still name their user id.
 */
import type { AppUser } from './auth';
import type { Db } from './db';
import { deleteUserReassigning, type OwnershipMoved } from './db/user-deletion';
import { UserError } from './errors';

export interface UserDeleted {
  id: string;
  email: string;
  /** What passed to the admin who deleted them. */
  moved: OwnershipMoved;
}

export async function deleteUser(db: Db, actor: Pick<AppUser, 'id' | 'role'>, userId: string): Promise<UserDeleted> {
  if (actor.role !== 'admin') throw new UserError(403, 'admin_only', 'only admins may delete users; ask an admin');
  if (userId === actor.id) throw new UserError(409, 'cannot_delete_self', 'you cannot delete your own account; ask another admin to do it');
  const result = await deleteUserReassigning(db, userId, actor.id);
  if (result.ok) return { id: userId, email: result.email, moved: result.moved };
  if (result.reason === 'not_found') throw new UserError(404, 'user_not_found', `user "${userId}" does not exist`);
  throw new UserError(409, 'last_admin', `${result.email} is the last admin; make another user an admin first`);
}
