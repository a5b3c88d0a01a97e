/**
 * A contact's attributes and subscription, shared by the API, the pages, the send path and templates.
 * Attributes are stored as one JSON object per contact (`contacts.attributes`); each attribute name
 * has one type for every contact (`contact_attributes`). Pure: zod and Intl only.
 */
import { z } from 'zod';
import { CONTROL_CHARACTERS } from './text';

export const ATTRIBUTE_TYPES = ['text', 'number', 'boolean', 'date'] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];
export const AttributeTypeSchema = z.enum(ATTRIBUTE_TYPES, { error: 'type must be one of text, number, boolean, date' });

/** Names a template can say without quoting: `{{ plan }}`. `name`, `email` and `unsubscribe_url` are the contact's own. */
export const RESERVED_ATTRIBUTE_NAMES = ['name', 'email', 'unsubscribe_url', 'id', 'status'] as const;
export const AttributeName = z
  .string()
  .min(1, 'an attribute name must not be empty')
  .max(64, 'an attribute name must be at most 64 characters')
  .regex(/^[a-z_][a-z0-9_]*$/, 'an attribute name uses lower-case letters, digits and _ and starts with a letter or _ (e.g. plan, signed_up)')
  .refine((n) => !(RESERVED_ATTRIBUTE_NAMES as readonly string[]).includes(n), {
    message: `an attribute may not be named ${RESERVED_ATTRIBUTE_NAMES.join(', ')} (the contact has those already)`,
  });

/** An attribute value as stored: text and dates (YYYY-MM-DD) as strings, numbers, booleans. */
export const AttributeValue = z.union([z.string().max(2000, 'an attribute value must be at most 2,000 characters'), z.number(), z.boolean()]);
export type AttributeValue = z.infer<typeof AttributeValue>;
export const ContactAttributes = z.record(AttributeName, AttributeValue);
export type ContactAttributes = z.infer<typeof ContactAttributes>;

/** The attribute that later send windows read: an IANA time zone name such as Europe/Paris. */
export const TIMEZONE_ATTRIBUTE = 'timezone';

export function isTimeZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** The type a new attribute gets when none is given: from the JSON value (a YYYY-MM-DD string is a date). */
export function inferAttributeType(value: AttributeValue): AttributeType {
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  return isDate(value) ? 'date' : 'text';
}

/**
 * Checks (and coerces from text, as a form or a CSV sends it) one value for an attribute of a type.
 * Returns the value to store, or an error that names the attribute and says what to write.
 */
export function coerceAttribute(
  name: string,
  type: AttributeType,
  value: AttributeValue,
): { ok: true; value: AttributeValue } | { ok: false; message: string } {
  const text = typeof value === 'string' ? value.trim() : value;
  switch (type) {
    case 'number': {
      const n = typeof text === 'number' ? text : typeof text === 'string' && text !== '' ? Number(text) : Number.NaN;
      return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, message: `${name} is a number attribute; write a number like 42 or 3.5` };
    }
    case 'boolean': {
      if (typeof text === 'boolean') return { ok: true, value: text };
      if (text === 'true' || text === 'false') return { ok: true, value: text === 'true' };
      return { ok: false, message: `${name} is a yes/no attribute; write true or false` };
    }
    case 'date': {
      const s = typeof text === 'string' ? text.slice(0, 10) : '';
      return typeof text === 'string' && isDate(s) && (text.length === 10 || !Number.isNaN(Date.parse(text)))
        ? { ok: true, value: s }
        : { ok: false, message: `${name} is a date attribute; write it as YYYY-MM-DD, e.g. 2025-03-31` };
    }
    case 'text': {
      const s = String(text);
      if (CONTROL_CHARACTERS.test(s.replace(/[\r\n\t]/g, ' '))) return { ok: false, message: `${name} must not contain control characters` };
      if (name === TIMEZONE_ATTRIBUTE && !isTimeZone(s))
        return { ok: false, message: `${name} must be an IANA time zone such as Europe/Paris or America/New_York (not "${s.slice(0, 60)}")` };
      return { ok: true, value: s };
    }
  }
}

/** How an attribute value reads in a message or a table. */
export function attributeText(value: AttributeValue | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : String(value);
}

// ---- subscription --------------------------------------------------------------------------

/**
 * subscribed: campaigns may mail them. unsubscribed: they asked not to be mailed (a link, the
 * one-click header, or a person). suppressed: mail to them bounced for good (a 5xx naming the
 * mailbox), or a person suppressed them. Only one-off messages, which are transactional, reach
 * the last two.
 */
export const SUBSCRIPTION_STATUSES = ['subscribed', 'unsubscribed', 'suppressed'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];
export const SubscriptionStatusSchema = z.enum(SUBSCRIPTION_STATUSES, { error: 'status must be subscribed, unsubscribed or suppressed' });
