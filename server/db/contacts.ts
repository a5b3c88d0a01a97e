/** Contacts: the people flows send to. */
import type { Selectable } from 'kysely';
import { type AttributeType, ContactAttributes, type SubscriptionStatus } from '../../domain/contact';
import { type Db, dialectOf, newId, now, sql, type Tables } from '.';
import { noteContactChanges } from './segment-entries';

export interface Contact {
  id: string;
  email: string;
  /** '' when the contact has no name. */
  name: string;
  createdAt: string;
  attributes: ContactAttributes;
  status: SubscriptionStatus;
  statusReason: string | null;
  statusAt: string | null;
}

type ContactRow = Selectable<Tables['contacts']>;

/** Rows become domain objects here: the attributes JSON is parsed once (a row that does not parse reads as none). */
function toContact(row: ContactRow): Contact {
  let attributes: ContactAttributes = {};
  try {
    const parsed = ContactAttributes.safeParse(JSON.parse(row.attributes));
    if (parsed.success) attributes = parsed.data;
  } catch {
    // left empty: never a crash over one row
  }
  return { ...row, attributes };
}

export async function listContacts(db: Db, limit = 100_000): Promise<Contact[]> {
  const rows = await db.selectFrom('contacts').selectAll().orderBy('createdAt').orderBy('email').limit(limit).execute();
  return rows.map(toContact);
}

export async function countContacts(db: Db, options: { subscribedOnly?: boolean } = {}): Promise<number> {
  let q = db.selectFrom('contacts').select((eb) => eb.fn.countAll<number>().as('n'));
  if (options.subscribedOnly) q = q.where('status', '=', 'subscribed');
  return Number((await q.executeTakeFirstOrThrow()).n);
}

export async function getContact(db: Db, id: string): Promise<Contact | undefined> {
  const row = await db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toContact(row);
}

export async function hasAnyContact(db: Db): Promise<boolean> {
  return (await db.selectFrom('contacts').select('id').limit(1).executeTakeFirst()) !== undefined;
}

export async function findContactByEmail(db: Db, email: string): Promise<Pick<Contact, 'id' | 'email'> | undefined> {
  return db.selectFrom('contacts').select(['id', 'email']).where(sql<string>`lower(email)`, '=', email.toLowerCase()).executeTakeFirst();
}

/**
 * What the contacts list searches for: text in the email or the name (case-insensitive; with an @ it
 * after the first character it is an email prefix, which the lower(email) index answers; `@example.com` looks for the domain), or `attribute:value` (equal, case-insensitive;
 * `attribute:` alone: contacts that have it).
 */
export type ContactSearch =
  | { kind: 'all' }
  | { kind: 'email'; prefix: string }
  | { kind: 'text'; text: string }
  | { kind: 'attribute'; name: string; value: string };

export function parseContactSearch(q: string | undefined): ContactSearch {
  const text = (q ?? '').trim().toLowerCase();
  if (text === '') return { kind: 'all' };
  const attr = /^([a-z_][a-z0-9_]*)\s*:\s*(.*)$/.exec(text);
  if (attr?.[1] && !text.includes('@')) return { kind: 'attribute', name: attr[1], value: (attr[2] ?? '').trim() };
  return text.includes('@') && !text.startsWith('@') ? { kind: 'email', prefix: text } : { kind: 'text', text };
}

/** The page's query: newest first (created_at, id), walking the contacts_newest index, filtered by the search. */
function searchQuery(db: Db, search: ContactSearch) {
  let q = db.selectFrom('contacts');
  if (search.kind === 'email') {
    // A range on lower(email) is a prefix match the expression index can answer (LIKE could not: its escapes and collation differ).
    q = q.where(sql<string>`lower(email)`, '>=', search.prefix).where(sql<string>`lower(email)`, '<', `${search.prefix}\u{10FFFF}`);
  } else if (search.kind === 'text') {
    const like = `%${search.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([sql<boolean>`lower(email) LIKE ${like} ESCAPE '\\'`, sql<boolean>`lower(name) LIKE ${like} ESCAPE '\\'`]));
  } else if (search.kind === 'attribute') {
    q = q.where(attributeSearch(db, search.name, search.value));
  }
  return q;
}

/** `name:value`: the attribute as text, lower case ('true'/'false' for booleans) equals the value; `name:` alone: the contact has it. */
function attributeSearch(db: Db, name: string, value: string) {
  if (dialectOf(db) === 'postgres') {
    const json = sql`(attributes::jsonb -> CAST(${name} AS text))`;
    return value === '' ? sql<boolean>`${json} IS NOT NULL` : sql<boolean>`lower(attributes::jsonb ->> CAST(${name} AS text)) = ${value}`;
  }
  const path = `$.${name}`;
  return value === ''
    ? sql<boolean>`json_type(attributes, ${path}) IS NOT NULL`
    : sql<boolean>`CASE json_type(attributes, ${path}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE lower(CAST(json_extract(attributes, ${path}) AS TEXT)) END = ${value}`;
}

/** One page of the contacts list, newest first, and how many contacts match. */
export async function searchContacts(
  db: Db,
  search: ContactSearch,
  page: { offset: number; limit: number },
): Promise<{ contacts: Contact[]; total: number }> {
  const rows = await searchQuery(db, search)
    .selectAll()
    .orderBy('createdAt', 'desc')
    .orderBy('id', 'desc')
    .offset(page.offset)
    .limit(page.limit)
    .execute();
  const total = await searchQuery(db, search)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return { contacts: rows.map(toContact), total: Number(total.n) };
}

/** SQLite's plan for a page of the contacts list: tests check that it walks an index, not the whole table. */
export async function explainContactSearch(db: Db, search: ContactSearch): Promise<string[]> {
  const compiled = searchQuery(db, search).selectAll().orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(50).compile();
  const rows = await db.executeQuery<{ detail: string }>({ ...compiled, sql: `EXPLAIN QUERY PLAN ${compiled.sql}`, query: compiled.query });
  return rows.rows.map((r) => r.detail);
}

/** Which of these contact ids are subscribed (a campaign's audience leaves the others out). */
export async function subscribedContactIds(db: Db, ids: string[]): Promise<string[]> {
  const found: string[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .selectFrom('contacts')
      .select('id')
      .where('id', 'in', ids.slice(i, i + 500))
      .where('status', '=', 'subscribed')
      .execute();
    found.push(...rows.map((r) => r.id));
  }
  return found;
}

/** Which of these contact ids exist. */
export async function existingContactIds(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('contacts').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}

export interface NewContact {
  id?: string;
  email: string;
  name?: string;
  attributes?: ContactAttributes;
}

export async function insertContacts(db: Db, contacts: NewContact[]): Promise<Contact[]> {
  const at = now();
  const rows = contacts.map((c) => ({
    id: c.id ?? newId('ct'),
    email: c.email,
    name: c.name ?? '',
    createdAt: at,
    attributes: JSON.stringify(c.attributes ?? {}),
  }));
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('contacts')
      .values(rows.slice(i, i + 500))
      .execute();
  // New contacts may be in a segment a flow starts on.
  await noteContactChanges(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({
    ...r,
    attributes: JSON.parse(r.attributes) as ContactAttributes,
    status: 'subscribed',
    statusReason: null,
    statusAt: null,
  }));
}

export async function insertContact(db: Db, contact: NewContact): Promise<Contact> {
  const [row] = await insertContacts(db, [contact]);
  return row!;
}

/** Writes a contact's name and its whole attribute object (already checked against the attribute types). */
export async function updateContact(db: Db, id: string, change: { name?: string; attributes?: ContactAttributes }): Promise<void> {
  const set: { name?: string; attributes?: string } = {};
  if (change.name !== undefined) set.name = change.name;
  if (change.attributes !== undefined) set.attributes = JSON.stringify(change.attributes);
  if (Object.keys(set).length === 0) return;
  await db.updateTable('contacts').set(set).where('id', '=', id).execute();
  await noteContactChanges(db, [id]);
}

/** Sets a contact's subscription, with why; `onlyFrom` keeps a stronger status (an unsubscribe never lifts a suppression). */
export async function setContactStatus(
  db: Db,
  id: string,
  status: SubscriptionStatus,
  reason: string,
  onlyFrom?: SubscriptionStatus[],
): Promise<boolean> {
  let q = db
    .updateTable('contacts')
    .set({ status, statusReason: reason.slice(0, 500), statusAt: now() })
    .where('id', '=', id);
  if (onlyFrom) q = q.where('status', 'in', onlyFrom);
  return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
}

// ---- attribute types ----------------------------------------------------------------------

export interface AttributeDefinition {
  name: string;
  type: AttributeType;
  createdAt: string;
}

export async function listAttributeDefinitions(db: Db): Promise<AttributeDefinition[]> {
  return db.selectFrom('contactAttributes').selectAll().orderBy('name').execute();
}

/** Adds attribute names with their types; a name that exists keeps the type it has (read them back to know it). */
export async function defineAttributes(db: Db, defs: { name: string; type: AttributeType }[]): Promise<void> {
  if (defs.length === 0) return;
  const at = now();
  await db
    .insertInto('contactAttributes')
    .values(defs.map((d) => ({ ...d, createdAt: at })))
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

/** True when the error is the unique index on email refusing a second contact with the same address (SQLite's code, or PostgreSQL's unique violation on it). */
export function isDuplicateEmail(err: unknown): boolean {
  if (!(err instanceof Error) || !('code' in err)) return false;
  return err.code === 'SQLITE_CONSTRAINT_UNIQUE' || (err.code === '23505' && 'constraint' in err && err.constraint === 'contacts_email_key');
}

/** A page of contacts for the export, in id order after `afterId` (keyset paging: no offset to walk past); only a list's members when given. */
export async function contactsAfter(db: Db, afterId: string, limit: number, listId?: string): Promise<Contact[]> {
  let q = db.selectFrom('contacts').selectAll('contacts').where('contacts.id', '>', afterId);
  if (listId) q = q.innerJoin('listMembers', 'listMembers.contactId', 'contacts.id').where('listMembers.listId', '=', listId);
  const rows = await q.orderBy('contacts.id').limit(limit).execute();
  return rows.map(toContact);
}
