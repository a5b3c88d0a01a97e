/**
 * A ContactFilter (domain/contact-filter.ts) as SQL over the `contacts` table: the database's evaluator,
 * for counts, segments and run audiences at any size. `matchesFilter` is the in-memory one; they must
 * agree, and test/segments.test.ts checks that they do on generated contacts and filters.
 *
 * How the rules map to SQLite:
 * - an attribute is `json_extract(attributes, '$.name')`, its type `json_type(…)`: 'text', 'integer' or
 *   'real', 'true' or 'false', NULL when absent. Every comparison first checks the type, so the number 1
 *   never equals the text "1", and a JSON true (which json_extract returns as 1) never equals the number 1;
 *   booleans are compared by their JSON type alone;
 * - `email` and `name` are columns; a name of '' is no name (absent), as `asFilterable` reads it;
 * - `contains` is LIKE with %, _ and \ escaped: SQLite's LIKE ignores the case of A–Z only, as the rule says;
 * - dates are text of the form YYYY-MM-DD (GLOB checks it), compared as text;
 * - `in` and `notIn` pass their values as one JSON array each (`json_each`), however many there are;
 * - each rule is wrapped in coalesce(…, 0), so a NULL never leaks into NOT (notEquals, notIn and
 *   notExists hold for a contact without the attribute).
 * Attribute names are [a-z_][a-z0-9_]* (FilterField), so `$.<name>` is always a plain path; it is bound
 * as a parameter all the same.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { ContactFilter, FilterableContact, FilterRule } from '../../domain/contact-filter';
import type { Db } from '.';
import type { Contact } from './contacts';

type Bool = RawBuilder<SqlBool>;
const TRUE: Bool = sql<SqlBool>`1`;
const FALSE: Bool = sql<SqlBool>`0`;

/** How a field reads in SQL: whether it is present, of which type, and its value. */
interface SqlField {
  present: Bool;
  isText: Bool;
  isNumber: Bool;
  isBoolean: (value: boolean) => Bool;
  value: RawBuilder<unknown>;
}

function sqlField(field: string): SqlField {
  if (field === 'email') {
    return { present: TRUE, isText: TRUE, isNumber: FALSE, isBoolean: () => FALSE, value: sql`email` };
  }
  if (field === 'name') {
    const present = sql<SqlBool>`(name <> '')`;
    return { present, isText: present, isNumber: FALSE, isBoolean: () => FALSE, value: sql`name` };
  }
  const path = `$.${field}`;
  const type = sql<string>`json_type(attributes, ${path})`;
  return {
    present: sql<SqlBool>`(${type} IS NOT NULL)`,
    isText: sql<SqlBool>`(${type} IS 'text')`,
    isNumber: sql<SqlBool>`(coalesce(${type}, '') IN ('integer', 'real'))`,
    isBoolean: (value) => (value ? sql<SqlBool>`(${type} IS 'true')` : sql<SqlBool>`(${type} IS 'false')`),
    value: sql`json_extract(attributes, ${path})`,
  };
}

const and = (...parts: Bool[]): Bool => sql<SqlBool>`(${sql.join(parts, sql` AND `)})`;
const or = (parts: Bool[]): Bool => (parts.length === 0 ? FALSE : sql<SqlBool>`(${sql.join(parts, sql` OR `)})`);
const not = (part: Bool): Bool => sql<SqlBool>`(NOT ${part})`;

function equalsValue(f: SqlField, value: string | number | boolean): Bool {
  if (typeof value === 'boolean') return f.isBoolean(value);
  return and(typeof value === 'string' ? f.isText : f.isNumber, sql<SqlBool>`${f.value} = ${value}`);
}

function inValues(f: SqlField, values: (string | number | boolean)[]): Bool {
  const texts = values.filter((v): v is string => typeof v === 'string');
  const numbers = values.filter((v): v is number => typeof v === 'number');
  const parts: Bool[] = [];
  if (texts.length > 0) parts.push(and(f.isText, sql<SqlBool>`${f.value} IN (SELECT value FROM json_each(${JSON.stringify(texts)}))`));
  if (numbers.length > 0) parts.push(and(f.isNumber, sql<SqlBool>`${f.value} IN (SELECT value FROM json_each(${JSON.stringify(numbers)}))`));
  if (values.includes(true)) parts.push(f.isBoolean(true));
  if (values.includes(false)) parts.push(f.isBoolean(false));
  return or(parts);
}

const likeEscaped = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
const DATE_GLOB = '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]';

/** One rule, never NULL. */
function ruleCondition(rule: FilterRule): Bool {
  const f = sqlField(rule.field);
  const holds = (): Bool => {
    switch (rule.op) {
      case 'exists':
        return f.present;
      case 'notExists':
        return not(f.present);
      case 'equals':
        return equalsValue(f, rule.value);
      case 'notEquals':
        return not(sql<SqlBool>`coalesce(${equalsValue(f, rule.value)}, 0)`);
      case 'in':
        return inValues(f, rule.value);
      case 'notIn':
        return not(sql<SqlBool>`coalesce(${inValues(f, rule.value)}, 0)`);
      case 'contains':
        return and(f.isText, sql<SqlBool>`${f.value} LIKE ${likeEscaped(rule.value)} ESCAPE '\\'`);
      case 'gt':
        return and(f.isNumber, sql<SqlBool>`${f.value} > ${rule.value}`);
      case 'gte':
        return and(f.isNumber, sql<SqlBool>`${f.value} >= ${rule.value}`);
      case 'lt':
        return and(f.isNumber, sql<SqlBool>`${f.value} < ${rule.value}`);
      case 'lte':
        return and(f.isNumber, sql<SqlBool>`${f.value} <= ${rule.value}`);
      case 'before':
        return and(f.isText, sql<SqlBool>`${f.value} GLOB ${DATE_GLOB}`, sql<SqlBool>`${f.value} < ${rule.value}`);
      case 'after':
        return and(f.isText, sql<SqlBool>`${f.value} GLOB ${DATE_GLOB}`, sql<SqlBool>`${f.value} > ${rule.value}`);
    }
  };
  return sql<SqlBool>`coalesce(${holds()}, 0)`;
}

/** The filter as a condition on a row of `contacts` (unaliased: its columns are named bare). */
export function filterCondition(filter: ContactFilter): Bool {
  const rules = filter.rules.map(ruleCondition);
  return filter.match === 'all' ? and(...rules) : or(rules);
}

/** What `matchesFilter` reads of a stored contact: a name of '' is no name. */
export function asFilterable(contact: Pick<Contact, 'email' | 'name' | 'attributes'>): FilterableContact {
  return { email: contact.email, name: contact.name === '' ? null : contact.name, attributes: contact.attributes };
}

/** How many contacts match: all of them, and the subscribed (whom a run would mail), in one pass. */
export async function countMatching(db: Db, filter: ContactFilter): Promise<{ contacts: number; subscribed: number }> {
  const row = await countQuery(db, filter).executeTakeFirstOrThrow();
  return { contacts: Number(row.contacts), subscribed: Number(row.subscribed) };
}

function countQuery(db: Db, filter: ContactFilter) {
  return db
    .selectFrom('contacts')
    .select((eb) => [eb.fn.countAll<number>().as('contacts'), sql<number>`coalesce(sum(status = 'subscribed'), 0)`.as('subscribed')])
    .where(filterCondition(filter));
}

/** The ids of every matching contact, whatever their status, in id order (tests compare them with `matchesFilter`). */
export async function matchingContactIds(db: Db, filter: ContactFilter): Promise<string[]> {
  const rows = await db.selectFrom('contacts').select('id').where(filterCondition(filter)).orderBy('id').execute();
  return rows.map((r) => r.id);
}

/** Whether one contact matches, evaluated by the database; undefined when there is no such contact. */
export async function contactMatchesFilter(db: Db, contactId: string, filter: ContactFilter): Promise<boolean | undefined> {
  const row = await db
    .selectFrom('contacts')
    .select(sql<number>`coalesce(${filterCondition(filter)}, 0)`.as('matches'))
    .where('id', '=', contactId)
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.matches) === 1;
}

/** SQLite's plan for the live count: a test shows it is one pass over contacts, with no temporary b-tree. */
export async function explainCountMatching(db: Db, filter: ContactFilter): Promise<string[]> {
  const compiled = countQuery(db, filter).compile();
  const rows = await db.executeQuery<{ detail: string }>({ ...compiled, sql: `EXPLAIN QUERY PLAN ${compiled.sql}`, query: compiled.query });
  return rows.rows.map((r) => r.detail);
}

/**
 * A run's audience from a filter, evaluated when the run starts: the subscribed contacts it matches,
 * enrolled at the plan's entry in one INSERT … SELECT (call it in the run's transaction, so the count is
 * the one the run starts with). Returns how many were enrolled.
 */
export async function enrollFilterRecipients(
  db: Db,
  run: { runId: string; entry: string; workflowId: string; dueAt: number },
  filter: ContactFilter,
): Promise<number> {
  const r = await sql`INSERT INTO run_recipients (run_id, contact_id, node_id, status, due_at, workflow_id, updated_at)
    SELECT ${run.runId}, id, ${run.entry}, 'pending', ${run.dueAt}, ${run.workflowId}, ${new Date().toISOString()}
    FROM contacts WHERE status = 'subscribed' AND ${filterCondition(filter)}
    ON CONFLICT (run_id, contact_id) DO NOTHING`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
