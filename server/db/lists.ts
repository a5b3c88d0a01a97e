/** Static lists of contacts: added to and removed from by hand; a run's audience can be one. */
import { bigint, type Db, newId, now, sql } from '.';
import { listFlows, recordListEntries } from './list-entries';

export interface ContactList {
  id: string;
  name: string;
  createdAt: string;
  /** Who may see and change it besides admins; null: from before owners (admins only, until setup adopts it). */
  ownerId: string | null;
  /** Everyone on the list, and those a run would mail (subscribed). */
  members: number;
  subscribed: number;
}

function withCounts(db: Db) {
  return db
    .selectFrom('lists')
    .leftJoin('listMembers', 'listMembers.listId', 'lists.id')
    .leftJoin('contacts', 'contacts.id', 'listMembers.contactId')
    .select([
      'lists.id',
      'lists.name',
      'lists.createdAt',
      'lists.ownerId',
      (eb) => eb.fn.count<number>('listMembers.contactId').as('members'),
      sql<number>`coalesce(sum(case when contacts.status = 'subscribed' then 1 else 0 end), 0)`.as('subscribed'),
    ])
    .groupBy('lists.id');
}

const counted = (r: ContactList): ContactList => ({ ...r, members: Number(r.members), subscribed: Number(r.subscribed) });

/** Every list, or with `ownedBy` that user's, by name. */
export async function listLists(db: Db, options: { ownedBy?: string } = {}): Promise<ContactList[]> {
  let q = withCounts(db);
  if (options.ownedBy !== undefined) q = q.where('lists.ownerId', '=', options.ownedBy);
  return (await q.orderBy('lists.name').execute()).map(counted);
}

export async function getList(db: Db, id: string): Promise<ContactList | undefined> {
  const row = await withCounts(db).where('lists.id', '=', id).executeTakeFirst();
  return row && counted(row);
}

export async function findListByName(db: Db, name: string): Promise<{ id: string } | undefined> {
  return db.selectFrom('lists').select('id').where(sql<string>`lower(name)`, '=', name.toLowerCase()).executeTakeFirst();
}

export async function insertList(db: Db, name: string, ownerId: string | null = null): Promise<string> {
  const id = newId('list');
  await db.insertInto('lists').values({ id, name, ownerId, createdAt: now() }).execute();
  return id;
}

/** Deletes the list and its memberships; returns false when there is no such list. Runs started for it keep their recipients. */
export async function deleteList(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('lists').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/**
 * Adds these contacts (those that exist) to the list; returns how many were new to it. Each chunk's
 * new members enter the flows that start on joining the list in the same transaction (their journeys'
 * pending starts: server/list-entries.ts starts them).
 */
export async function addToList(db: Db, listId: string, contactIds: string[]): Promise<number> {
  const flows = await listFlows(db, listId);
  let added = 0;
  for (let i = 0; i < contactIds.length; i += 500) {
    const ids = contactIds.slice(i, i + 500);
    added += await db.transaction().execute(async (trx) => {
      const at = now();
      const r = await sql`INSERT INTO list_members (list_id, contact_id, added_at)
        SELECT ${listId}, id, ${at} FROM contacts WHERE id IN (${sql.join(ids)})
        ON CONFLICT (list_id, contact_id) DO NOTHING`.execute(trx);
      await recordListEntries(trx, listId, ids, at, flows);
      return Number(r.numAffectedRows ?? 0);
    });
  }
  return added;
}

export async function removeFromList(db: Db, listId: string, contactIds: string[]): Promise<number> {
  let removed = 0;
  for (let i = 0; i < contactIds.length; i += 500) {
    const r = await db
      .deleteFrom('listMembers')
      .where('listId', '=', listId)
      .where('contactId', 'in', contactIds.slice(i, i + 500))
      .executeTakeFirst();
    removed += Number(r.numDeletedRows);
  }
  return removed;
}

/** A member as the list's page shows one. */
export interface ListMember {
  id: string;
  email: string;
  name: string;
  status: string;
  addedAt: string;
}

/**
 * One page of a list's members, the latest added first, and how many match: `q` (case-insensitive) is
 * text in the email or the name.
 */
export async function listMembers(
  db: Db,
  listId: string,
  page: { q?: string; offset: number; limit: number },
): Promise<{ members: ListMember[]; total: number }> {
  const text = (page.q ?? '').trim().toLowerCase();
  const like = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const base = () => {
    let q = db.selectFrom('listMembers').innerJoin('contacts', 'contacts.id', 'listMembers.contactId').where('listMembers.listId', '=', listId);
    if (text !== '')
      q = q.where((eb) =>
        eb.or([sql<boolean>`lower(contacts.email) LIKE ${like} ESCAPE '\\'`, sql<boolean>`lower(contacts.name) LIKE ${like} ESCAPE '\\'`]),
      );
    return q;
  };
  const members = await base()
    .select(['contacts.id', 'contacts.email', 'contacts.name', 'contacts.status', 'listMembers.addedAt'])
    .orderBy('listMembers.addedAt', 'desc')
    .orderBy('contacts.id')
    .offset(page.offset)
    .limit(page.limit)
    .execute();
  const total = await base()
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return { members, total: Number(total.n) };
}

/** The lists a contact is on. */
export async function listsOfContact(db: Db, contactId: string): Promise<string[]> {
  const rows = await db.selectFrom('listMembers').select('listId').where('contactId', '=', contactId).execute();
  return rows.map((r) => r.listId);
}

/**
 * A run's audience from a list, evaluated when the run starts: its subscribed members at the plan's
 * entry, in one INSERT … SELECT (call it in the run's transaction). Returns how many were enrolled.
 */
export async function enrollListRecipients(
  db: Db,
  run: { runId: string; entry: string; workflowId: string; dueAt: number },
  listId: string,
): Promise<number> {
  const r = await sql`INSERT INTO run_recipients (run_id, contact_id, node_id, status, due_at, workflow_id, updated_at)
    SELECT ${run.runId}, c.id, ${run.entry}, 'pending', ${bigint(run.dueAt)}, ${run.workflowId}, ${now()}
    FROM list_members m JOIN contacts c ON c.id = m.contact_id
    WHERE m.list_id = ${listId} AND c.status = 'subscribed'
    ON CONFLICT (run_id, contact_id) DO NOTHING`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
