/**
 * The filter editor's logic, pure: a rule as the form holds it (text in inputs), the operators and the
 * value input each attribute type gets, what an edit of a field or an operator keeps, and how the rows
 * become a ContactFilter, parsed and checked with the one definition in domain/ (each problem keyed by
 * its rule's field, e.g. "rules.1.value"). Segments and a Condition's attribute test both use it.
 */
import type { AttributeType, AttributeValue } from '@domain/contact';
import {
  type ContactFilter,
  ContactFilter as ContactFilterSchema,
  checkFilter,
  FILTER_OPERATORS,
  type FilterOperator,
  type FilterRule,
} from '@domain/contact-filter';
import { checkRules } from '@domain/flow/nodes/condition';

export interface RuleRow {
  field: string;
  op: FilterOperator;
  /** As typed; a list (is one of) is comma-separated. */
  value: string;
}

/** The contact's own fields, offered before its attributes. */
export const OWN_FIELDS: Record<string, AttributeType> = { email: 'text', name: 'text' };

/** The operators offered for each type, in the order the select lists them. */
export const OPERATORS_FOR: Record<AttributeType, FilterOperator[]> = {
  text: ['equals', 'notEquals', 'contains', 'in', 'notIn', 'exists', 'notExists'],
  number: ['equals', 'notEquals', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'exists', 'notExists'],
  boolean: ['equals', 'notEquals', 'exists', 'notExists'],
  date: ['equals', 'notEquals', 'before', 'after', 'exists', 'notExists'],
};

/** Every operator: for an attribute no contact has yet, whose type is not known. */
const ALL_OPERATORS = Object.keys(FILTER_OPERATORS) as FilterOperator[];

/** A field's type: the contact's own, an attribute's, or undefined for a name no contact has. */
export const typeOf = (field: string, types: Record<string, AttributeType>): AttributeType | undefined => OWN_FIELDS[field] ?? types[field];

export const operatorsFor = (type: AttributeType | undefined): FilterOperator[] => (type ? OPERATORS_FOR[type] : ALL_OPERATORS);

export const takesValue = (op: FilterOperator) => op !== 'exists' && op !== 'notExists';
export const takesList = (op: FilterOperator) => op === 'in' || op === 'notIn';
const COMPARES_NUMBERS: readonly FilterOperator[] = ['gt', 'gte', 'lt', 'lte'];
const COMPARES_DATES: readonly FilterOperator[] = ['before', 'after'];

/** The type a rule's value is read as: the operator's when it compares (a number for "is more than"), else the field's. */
function valueType(op: FilterOperator, type: AttributeType | undefined): AttributeType | undefined {
  if (COMPARES_NUMBERS.includes(op)) return 'number';
  if (COMPARES_DATES.includes(op)) return 'date';
  return type;
}

export type ValueInput = 'none' | 'list' | 'yesNo' | 'number' | 'date' | 'text';

/** The input a rule's value is typed in. */
export function valueInput(op: FilterOperator, type: AttributeType | undefined): ValueInput {
  if (!takesValue(op)) return 'none';
  if (takesList(op)) return 'list';
  const t = valueType(op, type);
  return t === 'boolean' ? 'yesNo' : t === 'number' ? 'number' : t === 'date' ? 'date' : 'text';
}

/**
 * The row with another field: the operator stays if the new field's type offers it, else "is"; the
 * value stays only if the operator did and the value is read the same way.
 */
export function withField(row: RuleRow, field: string, types: Record<string, AttributeType>): RuleRow {
  const before = typeOf(row.field, types);
  const after = typeOf(field, types);
  if (!operatorsFor(after).includes(row.op)) return { field, op: 'equals', value: '' };
  return { field, op: row.op, value: before === after ? row.value : '' };
}

/** The row with another operator: the value stays if it is typed in the same input. */
export function withOp(row: RuleRow, op: FilterOperator, types: Record<string, AttributeType>): RuleRow {
  const type = typeOf(row.field, types);
  return { ...row, op, value: valueInput(op, type) === valueInput(row.op, type) ? row.value : '' };
}

/** One typed value from its text: a number stays undefined when empty (the schema then says "enter a number"). */
function typed(text: string, type: AttributeType | undefined): AttributeValue | undefined {
  if (type === 'number') return text.trim() === '' ? undefined : Number(text);
  if (type === 'boolean') return text === 'true' ? true : text === 'false' ? false : undefined;
  return text;
}

const listItems = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** The rule a row stands for, as the API and the schema read it (it may not be valid yet). */
export function ruleInput(row: RuleRow, types: Record<string, AttributeType>): Record<string, unknown> {
  const type = valueType(row.op, typeOf(row.field, types));
  if (!takesValue(row.op)) return { field: row.field, op: row.op };
  if (takesList(row.op)) return { field: row.field, op: row.op, value: listItems(row.value).map((s) => typed(s, type)) };
  return { field: row.field, op: row.op, value: typed(row.value, type) };
}

/**
 * A value the schema would only call "Invalid input" (a union of text, number and yes/no): said in the
 * words of the attribute's type instead.
 */
function missingValue(row: RuleRow, type: AttributeType | undefined): string | undefined {
  if (!takesValue(row.op) || (type !== 'number' && type !== 'boolean')) return undefined;
  if (takesList(row.op)) {
    const items = listItems(row.value).map((s) => typed(s, type));
    const bad = items.some((v) => v === undefined || (typeof v === 'number' && !Number.isFinite(v)));
    return bad ? (type === 'number' ? 'enter numbers separated by commas, e.g. 1, 2, 5' : 'write true or false, separated by commas') : undefined;
  }
  if (type === 'boolean') return row.value === 'true' || row.value === 'false' ? undefined : 'choose yes or no';
  return row.value.trim() === '' || !Number.isFinite(Number(row.value)) ? 'enter a number' : undefined;
}

export type FilterCheck = { ok: true; filter: ContactFilter } | { ok: false; errors: Record<string, string> };

/**
 * The rows as a filter, or the first problem of each field ("rules.0.value", "rules", "match"): the
 * schema's, an attribute no contact has, an operator that does not fit its type, a value not of it.
 */
export function buildFilter(match: 'all' | 'any', rows: RuleRow[], types: Record<string, AttributeType>): FilterCheck {
  const missing = Object.fromEntries(
    rows.flatMap((row, i) => {
      const message = missingValue(row, valueType(row.op, typeOf(row.field, types)));
      return message ? [[`rules.${i}.value`, message]] : [];
    }),
  );
  // An attribute no contact has, or an operator that does not fit it, is said whatever the value (checkFilter reads only those).
  const misfits = checkFilter({ match, rules: rows.map(({ field, op }) => ({ field, op })) } as ContactFilter, types);
  const parsed = ContactFilterSchema.safeParse({ match, rules: rows.map((r) => ruleInput(r, types)) });
  // The schema's words win over those for the same field (e.g. a malformed name), and the type's over the schema's.
  const errors = {
    ...Object.fromEntries(misfits.map((p) => [p.field, p.message])),
    ...(parsed.success ? {} : issuesByField(parsed.error.issues)),
    ...missing,
  };
  if (!parsed.success || Object.keys(errors).length > 0) return { ok: false, errors };
  const problems = checkRules(parsed.data, types);
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

/** The problem a rule's row shows: of its field, else its operator, else its value. */
export const ruleError = (errors: Record<string, string>, i: number): string | undefined =>
  errors[`rules.${i}.field`] ?? errors[`rules.${i}.op`] ?? errors[`rules.${i}.value`] ?? errors[`rules.${i}`];

/** A stored value as text in its input; one not given yet (or not a number) is empty. */
function shown(value: unknown): string {
  if (Array.isArray(value)) return value.map(shown).join(', ');
  if (value === undefined || value === null || (typeof value === 'number' && !Number.isFinite(value))) return '';
  return String(value);
}

/** The form's rows for saved rules (a draft's may be incomplete). */
export function rowsOf(rules: readonly FilterRule[]): RuleRow[] {
  return rules.map((r) => ({ field: r.field ?? '', op: r.op, value: 'value' in r ? shown(r.value) : '' }));
}

/**
 * The rows to show for rules held elsewhere (a Condition's, in the flow): the rows last typed while
 * they still stand for those rules, so "1, " stays as typed; else (an undo, another branch) the rules' own.
 */
export function rowsFor(rules: readonly FilterRule[], typedRows: RuleRow[], types: Record<string, AttributeType>): RuleRow[] {
  const same = JSON.stringify(typedRows.map((r) => ruleInput(r, types))) === JSON.stringify(rules);
  return same ? typedRows : rowsOf(rules);
}

/** The row a new rule starts as: the first attribute contacts have (else email), "is", no value. */
export const newRow = (types: Record<string, AttributeType>): RuleRow => ({ field: Object.keys(types)[0] ?? 'email', op: 'equals', value: '' });
