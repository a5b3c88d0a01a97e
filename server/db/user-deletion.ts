/**
 * Deleting a user: what they own passes to the admin who deletes them, and their login goes (better-auth's
 * user, account and session rows), in one transaction with the "last admin" check, so two admins
 * deleting each other at once cannot leave the install without one.
 */
import { type Db, dialectOf, sql } from '.';
import { userRole } from './users';

export interface OwnershipMoved {
  flows: number;
  runs: number;
  smtpProfiles: number;
  imports: number;
}

export type UserDeletion = { ok: true; email: string; moved: OwnershipMoved } | { ok: false; reason: 'not_found' | 'last_admin'; email?: string };

export async function deleteUserReassigning(db: Db, userId: string, toUserId: string): Promise<UserDeletion> {
  return db.transaction().execute(async (trx) => {
    // SQLite has one writer at a time; PostgreSQL runs deletions one after another with this lock, so the admin check below sees the last one's.
    if (dialectOf(db) === 'postgres') await sql`LOCK TABLE "user" IN SHARE ROW EXCLUSIVE MODE`.execute(trx);
    const target = await trx.selectFrom('user').select(['id', 'email']).where('id', '=', userId).executeTakeFirst();
    if (!target) return { ok: false, reason: 'not_found' };
    if ((await userRole(trx, userId)) === 'admin') {
      const admins = await trx.selectFrom('user').select(['id', 'role']).where('id', '!=', userId).execute();
      if (!admins.some((a) => (a.role ?? '').split(',').some((r) => r.trim() === 'admin')))
        return { ok: false, reason: 'last_admin', email: target.email };
    }
    const count = (r: { numUpdatedRows: bigint }) => Number(r.numUpdatedRows);
    const moved: OwnershipMoved = {
      flows: count(await trx.updateTable('flows').set({ ownerId: toUserId }).where('ownerId', '=', userId).executeTakeFirst()),
      runs: count(await trx.updateTable('runs').set({ ownerId: toUserId }).where('ownerId', '=', userId).executeTakeFirst()),
      smtpProfiles: count(await trx.updateTable('smtpProfiles').set({ ownerId: toUserId }).where('ownerId', '=', userId).executeTakeFirst()),
      imports: count(await trx.updateTable('imports').set({ ownerId: toUserId }).where('ownerId', '=', userId).executeTakeFirst()),
    };
    // Profiles shared with them: the sharing goes with them.
    await trx.deleteFrom('smtpProfileAgents').where('userId', '=', userId).execute();
    // better-auth's own tables and camelCase column names (see docs/architecture.md): raw SQL, as they are.
    await sql`DELETE FROM session WHERE "userId" = ${userId}`.execute(trx);
    await sql`DELETE FROM account WHERE "userId" = ${userId}`.execute(trx);
    await sql`DELETE FROM "user" WHERE id = ${userId}`.execute(trx);
    return { ok: true, email: target.email, moved };
  });
}
