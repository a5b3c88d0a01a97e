/**
 * A run's delivery log, filtered and paged on the server: newest first, by attempt id (keyset, never
 * OFFSET), each filter a range of an index of migration 270 and the email a range of contacts'
 * lower(email) index, so a page at 1,000,000 rows reads about a page.
 */
import type { FailureClass } from '../../domain/delivery-log';
import { type Db, dialectOf, sql } from '.';
import { DELETED_CONTACT } from './contact-erasure';
import type { DeliveryAttempt } from './deliveries';
import type { AttemptOutcome } from './tables';

export interface LogQuery {
  outcome?: AttemptOutcome | undefined;
  failureClass?: FailureClass | undefined;
  smtpCode?: number | undefined;
  /** Only attempts at these steps (a step, or the steps that send with a profile); empty: none. */
  nodeIds?: string[] | undefined;
  /** The recipient's email (lowercase), or its beginning. */
  email?: { text: string; exact: boolean } | undefined;
}

export type LoggedAttempt = DeliveryAttempt & { email: string };

export interface LogPageResult {
  items: LoggedAttempt[];
  /** The cursor of the next (older) page, `before`; null when this is the last. */
  older: number | null;
  /** The cursor of the previous (newer) page, `after`; null when this is the first. */
  newer: number | null;
}

/**
 * Reading the matching contacts' attempts costs about as many index lookups as there are matches: worth it up to
 * this many. A search matching more (a letter or two) finds a page among the newest attempts at once.
 */
const FEW_CONTACTS = 150_000;

/** The contacts whose email is this one, or begins so: a range on lower(email), which the expression index answers (as searchContacts does). */
function matchingContacts(db: Db, email: { text: string; exact: boolean }) {
  const contacts = db.selectFrom('contacts').select('contacts.id');
  return email.exact
    ? contacts.where(sql<string>`lower(email)`, '=', email.text)
    : contacts.where(sql<string>`lower(email)`, '>=', email.text).where(sql<string>`lower(email)`, '<', `${email.text}\u{10FFFF}`);
}

async function fewMatch(db: Db, email: { text: string; exact: boolean }): Promise<boolean> {
  if (email.exact) return true;
  const { n } = await db
    .selectFrom(
      matchingContacts(db, email)
        .limit(FEW_CONTACTS + 1)
        .as('m'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(n) <= FEW_CONTACTS;
}

/** The attempts a query selects, as a Kysely query to narrow further. */
async function filtered(db: Db, runId: string, query: LogQuery) {
  let q = db.selectFrom('deliveryAttempts').where('deliveryAttempts.runId', '=', runId);
  if (query.outcome) q = q.where('deliveryAttempts.outcome', '=', query.outcome);
  if (query.smtpCode !== undefined) q = q.where('deliveryAttempts.smtpCode', '=', query.smtpCode);
  if (query.failureClass) {
    if (!query.outcome) q = q.where('deliveryAttempts.outcome', 'in', ['failed', 'retrying', 'uncertain']);
    if (query.failureClass === 'no-reply') q = q.where('deliveryAttempts.smtpCode', 'is', null);
    else {
      const from = query.failureClass === 'rejected' ? 500 : 400;
      q = q.where('deliveryAttempts.smtpCode', '>=', from).where('deliveryAttempts.smtpCode', '<', from + 100);
    }
  }
  if (query.nodeIds) q = q.where('deliveryAttempts.nodeId', 'in', query.nodeIds.length > 0 ? query.nodeIds : ['']);
  const email = query.email;
  if (email) {
    // PostgreSQL would walk the log newest first and look up each attempt's contact, as if the matches were
    // spread evenly through it (at 1,000,000 attempts, 400,000 lookups when they sit together): an array of a
    // few matching contacts makes it read their attempts instead (delivery_attempts_contact, migration 280).
    q =
      dialectOf(db) === 'postgres' && (await fewMatch(db, email))
        ? q.where(sql<boolean>`delivery_attempts.contact_id = any(array(${matchingContacts(db, email)}))`)
        : q.where('deliveryAttempts.contactId', 'in', matchingContacts(db, email));
  }
  return q;
}

/** One page of a run's filtered delivery log, newest first: `before` an attempt id (older ones) or `after` one (newer ones). */
export async function deliveryLogPage(
  db: Db,
  runId: string,
  query: LogQuery,
  page: { before?: number | undefined; after?: number | undefined; limit: number },
): Promise<LogPageResult> {
  const newerFirst = page.after === undefined;
  let ids = (await filtered(db, runId, query)).select('deliveryAttempts.id');
  if (page.before !== undefined) ids = ids.where('deliveryAttempts.id', '<', page.before);
  if (page.after !== undefined) ids = ids.where('deliveryAttempts.id', '>', page.after);
  // The page's ids first (from the filters' indexes alone), then only those rows and their emails.
  const pageIds = ids.orderBy('deliveryAttempts.id', newerFirst ? 'desc' : 'asc').limit(page.limit + 1);
  const rows = await db
    .selectFrom('deliveryAttempts')
    .where('deliveryAttempts.id', 'in', pageIds)
    // A deleted contact's attempts stay, under its anonymised id (server/db/contact-erasure.ts).
    .leftJoin('contacts', 'contacts.id', 'deliveryAttempts.contactId')
    .selectAll('deliveryAttempts')
    .select(sql<string>`coalesce(contacts.email, ${DELETED_CONTACT})`.as('email'))
    .orderBy('deliveryAttempts.id', newerFirst ? 'desc' : 'asc')
    .execute();
  const more = rows.length > page.limit;
  const items = rows.slice(0, page.limit);
  if (!newerFirst) items.reverse();
  const first = items[0]?.id ?? null;
  const last = items.at(-1)?.id ?? null;
  return {
    items,
    older: newerFirst ? (more ? last : null) : last,
    newer: newerFirst ? (page.before !== undefined ? first : null) : more ? first : null,
  };
}

/** Every attempt a query selects, newest first, a page at a time (for the CSV export): one page in memory. */
export async function* deliveryLogPages(db: Db, runId: string, query: LogQuery, pageSize = 1000): AsyncGenerator<LoggedAttempt[]> {
  let before: number | undefined;
  for (;;) {
    const page = await deliveryLogPage(db, runId, query, { before, limit: pageSize });
    if (page.items.length > 0) yield page.items;
    if (page.older === null) return;
    before = page.older;
  }
}
