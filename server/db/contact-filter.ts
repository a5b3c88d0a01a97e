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
 * - each rule is wrapped in coalesce(…, false), so a NULL never leaks into NOT (notEquals, notIn and
 *   notExists hold for a contact without the attribute).
 * On PostgreSQL the same, with its own words: `attributes::jsonb -> name` and `jsonb_typeof` ('string',
 * 'number', 'boolean'); numbers compared as numeric (only once the type says number: a cast of text
 * would fail); `contains` folds A–Z alone with translate() (ILIKE would fold more than the rule says);
 * dates checked by a regular expression and compared in the C collation; lists as arrays (`= ANY`).
 * Attribute names are [a-z_][a-z0-9_]* (FilterField), so `$.<name>` is always a plain path; it is bound
 * as a parameter all the same.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { ContactFilter, FilterableContact, FilterRule } from '../../domain/contact-filter';
import { bigint, type Db, dialectOf } from '.';
import type { Contact } from './contacts';

type Bool = RawBuilder<SqlBool>;
const TRUE: Bool = sql<SqlBool>`true`;
const FALSE: Bool = sql<SqlBool>`false`;

/** How a field reads in SQL: whether it is present, of which type, and its value as text and as a number (each meaningful only for that type). */
interface SqlField {
  present: Bool;
  isText: Bool;
  isNumber: Bool;
  isBoolean: (value: boolean) => Bool;
  text: RawBuilder<unknown>;
  number: RawBuilder<unknown>;
}

/** What differs between the databases: reading an attribute, `contains`, dates and lists. */
interface FilterSql {
  attribute(name: string): SqlField;
  contains(text: RawBuilder<unknown>, pattern: string): Bool;
  isDate(text: RawBuilder<unknown>): Bool;
  textCompare(text: RawBuilder<unknown>, op: '<' | '>', value: string): Bool;
  inTexts(text: RawBuilder<unknown>, values: string[]): Bool;
  inNumbers(number: RawBuilder<unknown>, values: number[]): Bool;
}

const likeEscaped = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
const DATE_GLOB = '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

const sqliteFilter: FilterSql = {
  attribute(name) {
    const path = `$.${name}`;
    const type = sql<string>`json_type(attributes, ${path})`;
    const value = sql`json_extract(attributes, ${path})`;
    return {
      present: sql<SqlBool>`(${type} IS NOT NULL)`,
      isText: sql<SqlBool>`(${type} IS 'text')`,
      isNumber: sql<SqlBool>`(coalesce(${type}, '') IN ('integer', 'real'))`,
      isBoolean: (v) => (v ? sql<SqlBool>`(${type} IS 'true')` : sql<SqlBool>`(${type} IS 'false')`),
      text: value,
      number: value,
    };
  },
  contains: (text, pattern) => sql<SqlBool>`${text} LIKE ${likeEscaped(pattern)} ESCAPE '\\'`,
  isDate: (text) => sql<SqlBool>`${text} GLOB ${DATE_GLOB}`,
  textCompare: (text, op, value) => sql<SqlBool>`${text} ${sql.raw(op)} ${value}`,
  inTexts: (text, values) => sql<SqlBool>`${text} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`,
  inNumbers: (number, values) => sql<SqlBool>`${number} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`,
};

const postgresFilter: FilterSql = {
  attribute(name) {
    const json = sql`(attributes::jsonb -> CAST(${name} AS text))`;
    const type = sql<string>`jsonb_typeof(${json})`;
    return {
      present: sql<SqlBool>`(${type} IS NOT NULL)`,
      isText: sql<SqlBool>`(${type} IS NOT DISTINCT FROM 'string')`,
      isNumber: sql<SqlBool>`(${type} IS NOT DISTINCT FROM 'number')`,
      isBoolean: (v) => sql<SqlBool>`(${json} IS NOT DISTINCT FROM ${sql.lit(String(v))}::jsonb)`,
      text: sql`(attributes::jsonb ->> CAST(${name} AS text))`,
      number: sql`(CASE WHEN ${type} = 'number' THEN (attributes::jsonb ->> CAST(${name} AS text))::numeric END)`,
    };
  },
  contains: (text, pattern) =>
    sql<SqlBool>`translate(${text}, ${UPPER}, ${UPPER.toLowerCase()}) LIKE ${likeEscaped(pattern.replace(/[A-Z]/g, (c) => c.toLowerCase()))} ESCAPE '\\'`,
  isDate: (text) => sql<SqlBool>`${text} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'`,
  textCompare: (text, op, value) => sql<SqlBool>`${text} COLLATE "C" ${sql.raw(op)} ${value}`,
  inTexts: (text, values) => sql<SqlBool>`${text} = ANY(CAST(${values} AS text[]))`,
  inNumbers: (number, values) => sql<SqlBool>`${number} = ANY(CAST(${values.map(String)} AS numeric[]))`,
};

function sqlField(d: FilterSql, field: string): SqlField {
  if (field === 'email') {
    return { present: TRUE, isText: TRUE, isNumber: FALSE, isBoolean: () => FALSE, text: sql`email`, number: sql`NULL` };
  }
  if (field === 'name') {
    const present = sql<SqlBool>`(name <> '')`;
    return { present, isText: present, isNumber: FALSE, isBoolean: () => FALSE, text: sql`name`, number: sql`NULL` };
  }
  return d.attribute(field);
}

const and = (...parts: Bool[]): Bool => sql<SqlBool>`(${sql.join(parts, sql` AND `)})`;
const or = (parts: Bool[]): Bool => (parts.length === 0 ? FALSE : sql<SqlBool>`(${sql.join(parts, sql` OR `)})`);
const not = (part: Bool): Bool => sql<SqlBool>`(NOT ${part})`;

function equalsValue(f: SqlField, value: string | number | boolean): Bool {
  if (typeof value === 'boolean') return f.isBoolean(value);
  return typeof value === 'string' ? and(f.isText, sql<SqlBool>`${f.text} = ${value}`) : and(f.isNumber, sql<SqlBool>`${f.number} = ${value}`);
}

function inValues(d: FilterSql, f: SqlField, values: (string | number | boolean)[]): Bool {
  const texts = values.filter((v): v is string => typeof v === 'string');
  const numbers = values.filter((v): v is number => typeof v === 'number');
  const parts: Bool[] = [];
  if (texts.length > 0) parts.push(and(f.isText, d.inTexts(f.text, texts)));
  if (numbers.length > 0) parts.push(and(f.isNumber, d.inNumbers(f.number, numbers)));
  if (values.includes(true)) parts.push(f.isBoolean(true));
  if (values.includes(false)) parts.push(f.isBoolean(false));
  return or(parts);
}

/** One rule, never NULL. */
function ruleCondition(d: FilterSql, rule: FilterRule): Bool {
  const f = sqlField(d, rule.field);
  const holds = (): Bool => {
    switch (rule.op) {
      case 'exists':
        return f.present;
      case 'notExists':
        return not(f.present);
      case 'equals':
        return equalsValue(f, rule.value);
      case 'notEquals':
        return not(sql<SqlBool>`coalesce(${equalsValue(f, rule.value)}, false)`);
      case 'in':
        return inValues(d, f, rule.value);
      case 'notIn':
        return not(sql<SqlBool>`coalesce(${inValues(d, f, rule.value)}, false)`);
      case 'contains':
        return and(f.isText, d.contains(f.text, rule.value));
      case 'gt':
        return and(f.isNumber, sql<SqlBool>`${f.number} > ${rule.value}`);
      case 'gte':
        return and(f.isNumber, sql<SqlBool>`${f.number} >= ${rule.value}`);
      case 'lt':
        return and(f.isNumber, sql<SqlBool>`${f.number} < ${rule.value}`);
      case 'lte':
        return and(f.isNumber, sql<SqlBool>`${f.number} <= ${rule.value}`);
      case 'before':
        return and(f.isText, d.isDate(f.text), d.textCompare(f.text, '<', rule.value));
      case 'after':
        return and(f.isText, d.isDate(f.text), d.textCompare(f.text, '>', rule.value));
    }
  };
  return sql<SqlBool>`coalesce(${holds()}, false)`;
}

/** The filter as a condition on a row of `contacts` (unaliased: its columns are named bare), in this database's SQL. */
export function filterCondition(db: Db, filter: ContactFilter): Bool {
  const d = dialectOf(db) === 'postgres' ? postgresFilter : sqliteFilter;
  const rules = filter.rules.map((rule) => ruleCondition(d, rule));
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
    .select((eb) => [
      eb.fn.countAll<number>().as('contacts'),
      sql<number>`coalesce(sum(CASE WHEN status = 'subscribed' THEN 1 ELSE 0 END), 0)`.as('subscribed'),
    ])
    .where(filterCondition(db, filter));
}

/** The ids of every matching contact, whatever their status, in id order (tests compare them with `matchesFilter`). */
export async function matchingContactIds(db: Db, filter: ContactFilter): Promise<string[]> {
  const rows = await db.selectFrom('contacts').select('id').where(filterCondition(db, filter)).orderBy('id').execute();
  return rows.map((r) => r.id);
}

/** Whether one contact matches, evaluated by the database; undefined when there is no such contact. */
export async function contactMatchesFilter(db: Db, contactId: string, filter: ContactFilter): Promise<boolean | undefined> {
  const row = await db
    .selectFrom('contacts')
    .select(sql<number>`CASE WHEN ${filterCondition(db, filter)} THEN 1 ELSE 0 END`.as('matches'))
    .where('id', '=', contactId)
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.matches) === 1;
}

/** SQLite's plan for the live count (SQLite only): a test shows it is one pass over contacts, with no temporary b-tree. */
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
    SELECT ${run.runId}, id, ${run.entry}, 'pending', ${bigint(run.dueAt)}, ${run.workflowId}, ${new Date().toISOString()}
    FROM contacts WHERE status = 'subscribed' AND ${filterCondition(db, filter)}
    ON CONFLICT (run_id, contact_id) DO NOTHING`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
