/**
 * The segment editor's rule rows as the form holds them (text in inputs), and how they become a
 * ContactFilter: the values typed by the attribute's type, then parsed and checked with the one definition
 * in domain/contact-filter.ts, each problem keyed by its rule's field (e.g. "rules.1.value").
 */
import type { AttributeType, AttributeValue } from '@domain/contact';
import { type ContactFilter, checkFilter, ContactFilter as ContactFilterSchema, type FilterOperator } from '@domain/contact-filter';

export interface RuleRow {
  field: string;
  op: FilterOperator;
  /** As typed; a list (is one of) is comma-separated. */
  value: string;
}

/** The contact's own fields, then its attributes. */
export const OWN_FIELDS: Record<string, AttributeType> = { email: 'text', name: 'text' };

/** The operators offered for each type, in the order the select lists them. */
export const OPERATORS_FOR: Record<AttributeType, FilterOperator[]> = {
  text: ['equals', 'notEquals', 'contains', 'in', 'notIn', 'exists', 'notExists'],
  number: ['equals', 'notEquals', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'exists', 'notExists'],
  boolean: ['equals', 'notEquals', 'exists', 'notExists'],
  date: ['equals', 'notEquals', 'before', 'after', 'exists', 'notExists'],
};

export const takesValue = (op: FilterOperator) => op !== 'exists' && op !== 'notExists';
export const takesList = (op: FilterOperator) => op === 'in' || op === 'notIn';

/** One typed value from its text: a number stays undefined when empty (the schema then says "enter a number"). */
function typed(text: string, type: AttributeType | undefined): AttributeValue | undefined {
  if (type === 'number') return text.trim() === '' ? undefined : Number(text);
  if (type === 'boolean') return text === 'true' ? true : text === 'false' ? false : undefined;
  return text;
}

/** The request's form of a row: what the API and the schema read. */
export function ruleInput(row: RuleRow, types: Record<string, AttributeType>): Record<string, unknown> {
  // A comparison takes a number whatever the attribute (checkFilter then says if the attribute is not one).
  const type = ['gt', 'gte', 'lt', 'lte'].includes(row.op) ? 'number' : (OWN_FIELDS[row.field] ?? types[row.field]);
  if (!takesValue(row.op)) return { field: row.field, op: row.op };
  if (takesList(row.op)) {
    const items = row.value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return { field: row.field, op: row.op, value: items.map((s) => typed(s, type)) };
  }
  return { field: row.field, op: row.op, value: typed(row.value, type) };
}

export type FilterCheck = { ok: true; filter: ContactFilter } | { ok: false; errors: Record<string, string> };

/**
 * A value the schema would only call "Invalid input" (a union of text, number and yes/no): said in the
 * words of the attribute's type instead.
 */
function missingValue(row: RuleRow, type: AttributeType | undefined): string | undefined {
  if (!takesValue(row.op) || (type !== 'number' && type !== 'boolean')) return undefined;
  if (takesList(row.op)) {
    const items = ruleInput(row, { [row.field]: type }).value as unknown[];
    const bad = items.some((v) => v === undefined || (typeof v === 'number' && !Number.isFinite(v)));
    return bad ? (type === 'number' ? 'enter numbers separated by commas, e.g. 1, 2, 5' : 'write true or false, separated by commas') : undefined;
  }
  if (type === 'boolean') return row.value === 'true' || row.value === 'false' ? undefined : 'choose yes or no';
  return row.value.trim() === '' || !Number.isFinite(Number(row.value)) ? 'enter a number' : undefined;
}

/** The rows as a filter, or the first problem of each field ("rules.0.value", "rules", "match"). */
export function buildFilter(match: 'all' | 'any', rows: RuleRow[], types: Record<string, AttributeType>): FilterCheck {
  const missing = Object.fromEntries(
    rows.flatMap((row, i) => {
      const message = missingValue(row, OWN_FIELDS[row.field] ?? types[row.field]);
      return message ? [[`rules.${i}.value`, message]] : [];
    }),
  );
  const parsed = ContactFilterSchema.safeParse({ match, rules: rows.map((r) => ruleInput(r, types)) });
  // The type's own words win over the schema's for the same field.
  const errors = { ...(parsed.success ? {} : issuesByField(parsed.error.issues)), ...missing };
  if (!parsed.success || Object.keys(errors).length > 0) return { ok: false, errors };
  const problems = checkFilter(parsed.data, types);
  if (problems.length > 0) return { ok: false, errors: Object.fromEntries(problems.map((p) => [p.field, p.message])) };
  return { ok: true, filter: parsed.data };
}

/** Zod issues (the browser's, or a 422's details) by their dotted path, cut to the rule's field; a path under `filter.` loses that prefix. */
export function issuesByField(issues: readonly unknown[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    if (!issue || typeof issue !== 'object' || !('message' in issue) || typeof issue.message !== 'string') continue;
    const path = 'path' in issue && Array.isArray(issue.path) ? issue.path.map(String).join('.') : 'field' in issue ? String(issue.field) : '';
    // A list item's problem (rules.2.value.1) is the value's: that is where the editor shows it.
    const parts = (path.replace(/^filter\.?/, '') || 'rules').split('.');
    const key = parts[0] === 'rules' ? parts.slice(0, 3).join('.') : (parts[0] ?? 'rules');
    errors[key] ??= issue.message;
  }
  return errors;
}

/** The form's rows for a saved filter. */
export function rowsOf(filter: ContactFilter): RuleRow[] {
  return filter.rules.map((r) => ({
    field: r.field,
    op: r.op,
    value: 'value' in r ? (Array.isArray(r.value) ? r.value.map(String).join(', ') : String(r.value)) : '',
  }));
}
