/**
 * A filter over contacts: rules on attributes (and on the contact's own email and name), combined with
 * all or any. Segments are saved filters; a Condition node's attribute branch is one. Pure: zod only.
 *
 * One meaning, two evaluators: `matchesFilter` here (for one contact, in a workflow or a preview) and
 * the SQL the server builds from the same rules (server/db). Their agreement is tested, so the rules
 * below are written to be expressible in SQLite exactly:
 * - text is compared as stored (case-sensitive), except `contains`, which ignores the case of A–Z only
 *   (SQLite's LIKE); `email` is stored in lower case, so rules on it are lower-cased when parsed;
 * - `notEquals` and `notIn` hold for a contact without the attribute (Mailchimp's "is not");
 * - number and date comparisons hold only when the attribute has that type: a missing or text value
 *   never matches `gt` or `before`;
 * - dates are YYYY-MM-DD, so comparing them as text compares them as dates.
 */
import { z } from 'zod';
import { type AttributeType, type AttributeValue, RESERVED_ATTRIBUTE_NAMES } from './contact';

/** What a rule can look at: an attribute, or the contact's own `email` or `name`. */
export const FilterField = z
  .string({ error: 'choose an attribute' })
  .min(1, 'choose an attribute')
  .max(64, 'an attribute name is at most 64 characters')
  .regex(/^[a-z_][a-z0-9_]*$/, 'an attribute name uses lower-case letters, digits and _ (e.g. plan)');

export const FILTER_OPERATORS = {
  equals: 'is',
  notEquals: 'is not',
  contains: 'contains',
  exists: 'is set',
  notExists: 'is not set',
  in: 'is one of',
  notIn: 'is none of',
  gt: 'is more than',
  gte: 'is at least',
  lt: 'is less than',
  lte: 'is at most',
  before: 'is before',
  after: 'is after',
} as const;
export type FilterOperator = keyof typeof FILTER_OPERATORS;

const scalar = z.union([z.string().max(2000, 'a value is at most 2,000 characters'), z.number().finite('enter a number'), z.boolean()]);
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const date = z.string({ error: 'enter a date as YYYY-MM-DD' }).regex(DATE, 'enter a date as YYYY-MM-DD, e.g. 2027-03-31');
const number = z.number({ error: 'enter a number' }).finite('enter a number');

export const FilterRule = z.discriminatedUnion(
  'op',
  [
    z.object({ field: FilterField, op: z.literal('equals'), value: scalar }),
    z.object({ field: FilterField, op: z.literal('notEquals'), value: scalar }),
    z.object({
      field: FilterField,
      op: z.literal('contains'),
      value: z.string({ error: 'enter the text to look for' }).min(1, 'enter the text to look for').max(2000),
    }),
    z.object({ field: FilterField, op: z.literal('exists') }),
    z.object({ field: FilterField, op: z.literal('notExists') }),
    z.object({
      field: FilterField,
      op: z.literal('in'),
      value: z.array(scalar).min(1, 'give at least one value').max(1000, 'give at most 1,000 values'),
    }),
    z.object({
      field: FilterField,
      op: z.literal('notIn'),
      value: z.array(scalar).min(1, 'give at least one value').max(1000, 'give at most 1,000 values'),
    }),
    z.object({ field: FilterField, op: z.literal('gt'), value: number }),
    z.object({ field: FilterField, op: z.literal('gte'), value: number }),
    z.object({ field: FilterField, op: z.literal('lt'), value: number }),
    z.object({ field: FilterField, op: z.literal('lte'), value: number }),
    z.object({ field: FilterField, op: z.literal('before'), value: date }),
    z.object({ field: FilterField, op: z.literal('after'), value: date }),
  ],
  { error: `op must be one of ${Object.keys(FILTER_OPERATORS).join(', ')}` },
);
export type FilterRule = z.infer<typeof FilterRule>;

export const ContactFilter = z
  .object({
    match: z.enum(['all', 'any'], { error: 'match must be "all" or "any"' }),
    rules: z.array(FilterRule, { error: 'rules must be a list' }).min(1, 'add at least one rule').max(50, 'a filter has at most 50 rules'),
  })
  .transform((filter) => ({ ...filter, rules: filter.rules.map(lowerEmailRule) }));
export type ContactFilter = z.output<typeof ContactFilter>;

/** What a filter reads of a contact. */
export interface FilterableContact {
  email: string;
  name: string | null;
  attributes: Record<string, AttributeValue>;
}

/** Emails are stored in lower case; a rule on `email` is too, so "Ann@X.org" finds ann@x.org. */
function lowerEmailRule(rule: FilterRule): FilterRule {
  if (rule.field !== 'email' || !('value' in rule)) return rule;
  const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);
  return { ...rule, value: Array.isArray(rule.value) ? rule.value.map(lower) : lower(rule.value) } as FilterRule;
}

/** A contact's value for a rule's field; undefined when it has none. */
export function fieldValue(contact: FilterableContact, field: string): AttributeValue | undefined {
  if (field === 'email') return contact.email;
  if (field === 'name') return contact.name ?? undefined;
  return contact.attributes[field];
}

/** Lower-cases A–Z only, as SQLite's LIKE and lower() do. */
export const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

export function matchesRule(contact: FilterableContact, rule: FilterRule): boolean {
  const v = fieldValue(contact, rule.field);
  switch (rule.op) {
    case 'exists':
      return v !== undefined;
    case 'notExists':
      return v === undefined;
    case 'equals':
      return v !== undefined && v === rule.value;
    case 'notEquals':
      return v === undefined || v !== rule.value;
    case 'in':
      return v !== undefined && rule.value.includes(v);
    case 'notIn':
      return v === undefined || !rule.value.includes(v);
    case 'contains':
      return typeof v === 'string' && asciiLower(v).includes(asciiLower(rule.value));
    case 'gt':
      return typeof v === 'number' && v > rule.value;
    case 'gte':
      return typeof v === 'number' && v >= rule.value;
    case 'lt':
      return typeof v === 'number' && v < rule.value;
    case 'lte':
      return typeof v === 'number' && v <= rule.value;
    case 'before':
      return typeof v === 'string' && DATE.test(v) && v < rule.value;
    case 'after':
      return typeof v === 'string' && DATE.test(v) && v > rule.value;
  }
}

export function matchesFilter(contact: FilterableContact, filter: ContactFilter): boolean {
  return filter.match === 'all' ? filter.rules.every((r) => matchesRule(contact, r)) : filter.rules.some((r) => matchesRule(contact, r));
}

/** The types of value each operator compares; `undefined` means any. */
const OPERATOR_TYPES: Partial<Record<FilterOperator, readonly AttributeType[]>> = {
  contains: ['text'],
  gt: ['number'],
  gte: ['number'],
  lt: ['number'],
  lte: ['number'],
  before: ['date'],
  after: ['date'],
};

const OWN_FIELDS: Record<string, AttributeType> = { email: 'text', name: 'text' };

/**
 * Problems a schema cannot see, given the attributes contacts have (name → type): an unknown
 * attribute, an operator that does not fit its type. Each names the rule's field, e.g. "rules.1.op".
 */
export function checkFilter(filter: ContactFilter, types: Record<string, AttributeType>): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  filter.rules.forEach((rule, i) => {
    const type = OWN_FIELDS[rule.field] ?? types[rule.field];
    if (type === undefined) {
      const reserved = (RESERVED_ATTRIBUTE_NAMES as readonly string[]).includes(rule.field);
      problems.push({
        field: `rules.${i}.field`,
        message: reserved ? `contacts cannot be filtered by ${rule.field}` : `no contact has an attribute named ${rule.field}; choose one they have`,
      });
      return;
    }
    const fits = OPERATOR_TYPES[rule.op];
    if (fits && !fits.includes(type)) {
      problems.push({
        field: `rules.${i}.op`,
        message: `${rule.field} is a ${type} attribute; "${FILTER_OPERATORS[rule.op]}" needs a ${fits.join(' or ')} attribute`,
      });
    }
  });
  return problems;
}

/** One line a person reads, e.g. `plan is "pro" and age is more than 30`. */
export function describeFilter(filter: ContactFilter): string {
  const show = (v: unknown) => (typeof v === 'string' ? `"${v}"` : String(v));
  const rule = (r: FilterRule) => {
    const value = 'value' in r ? ` ${Array.isArray(r.value) ? r.value.map(show).join(', ') : show(r.value)}` : '';
    return `${r.field} ${FILTER_OPERATORS[r.op]}${value}`;
  };
  return filter.rules.map(rule).join(filter.match === 'all' ? ' and ' : ' or ');
}
