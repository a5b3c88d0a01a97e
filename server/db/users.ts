/** better-auth's user table, read-only: better-auth itself writes it. */
import { type Db, sql } from '.';

export async function anyAdminExists(db: Db): Promise<boolean> {
  return (await db.selectFrom('user').select('id').where('role', '=', 'admin').executeTakeFirst()) !== undefined;
}

/** Which of these user ids exist. */
export async function existingUserIds(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('user').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}

/** How people are shown: each of these users' name, else their email; users that do not exist are left out. */
export async function userDisplayNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('user').select(['id', 'name', 'email']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.name.trim() || r.email]));
}

/** The first admin (the oldest), who owns what was made before owners existed. */
export async function firstAdminId(db: Db): Promise<string | undefined> {
  const row = await db.selectFrom('user').select('id').where('role', '=', 'admin').orderBy(sql`"createdAt"`).limit(1).executeTakeFirst();
  return row?.id;
}

/** A user's role as Dripline knows it (better-auth stores a comma-separated list); undefined when there is no such user. */
export async function userRole(db: Db, id: string): Promise<'admin' | 'agent' | undefined> {
  const row = await db.selectFrom('user').select('role').where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return (row.role ?? '').split(',').some((r) => r.trim() === 'admin') ? 'admin' : 'agent';
}
