/** better-auth's user table, read-only: better-auth itself writes it. */
import type { Db } from '.';

export async function anyAdminExists(db: Db): Promise<boolean> {
  return (await db.selectFrom('user').select('id').where('role', '=', 'admin').executeTakeFirst()) !== undefined;
}

/** Which of these user ids exist. */
export async function existingUserIds(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('user').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}
