/** Contacts: the people flows send to. */
import { newId, now, sql, type Db } from '.';

export interface Contact {
  id: string;
  email: string;
  name: string;
  createdAt: string;
}

export async function listContacts(db: Db, limit = 100_000): Promise<Contact[]> {
  return db.selectFrom('contacts').selectAll().orderBy('createdAt').orderBy('email').limit(limit).execute();
}

export async function countContacts(db: Db): Promise<number> {
  return Number(
    (
      await db
        .selectFrom('contacts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
}

export async function getContact(db: Db, id: string): Promise<Contact | undefined> {
  return db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function hasAnyContact(db: Db): Promise<boolean> {
  return (await db.selectFrom('contacts').select('id').limit(1).executeTakeFirst()) !== undefined;
}

export async function findContactByEmail(db: Db, email: string): Promise<Pick<Contact, 'id' | 'email'> | undefined> {
  return db.selectFrom('contacts').select(['id', 'email']).where(sql<string>`lower(email)`, '=', email.toLowerCase()).executeTakeFirst();
}

/** Which of these contact ids exist. */
export async function existingContactIds(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('contacts').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}

export async function insertContacts(db: Db, contacts: { id?: string; email: string; name: string }[]): Promise<Contact[]> {
  const at = now();
  const rows = contacts.map((c) => ({ id: c.id ?? newId('ct'), email: c.email, name: c.name, createdAt: at }));
  if (rows.length > 0) await db.insertInto('contacts').values(rows).execute();
  return rows;
}

export async function insertContact(db: Db, contact: { email: string; name: string }): Promise<Contact> {
  const [row] = await insertContacts(db, [contact]);
  return row!;
}

/** True when the error is the unique index on email refusing a second contact with the same address. */
export function isDuplicateEmail(err: unknown): boolean {
  return err instanceof Error && 'code' in err && err.code === 'SQLITE_CONSTRAINT_UNIQUE';
}
