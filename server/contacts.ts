/** Contacts' attributes: each change checked against the attribute's type, new names typed once. */
import {
  type AttributeType,
  type AttributeValue,
  type ContactAttributes,
  coerceAttribute,
  inferAttributeType,
  TIMEZONE_ATTRIBUTE,
} from '../domain/contact';
import type { Db } from './db';
import { defineAttributes, listAttributeDefinitions } from './db/contacts';
import { UserError } from './errors';

/** At most this many attributes on one contact: each is kept on the contact's row and sent to every journey. */
export const MAX_ATTRIBUTES_PER_CONTACT = 200;
/** At most this many attribute names in the workspace: a name, once typed, is listed on every contact page and filter. */
export const MAX_ATTRIBUTE_NAMES = 1000;

/** Attribute changes as a request sends them: a value sets, null removes; `types` names the type of a new attribute. */
export interface AttributeChanges {
  attributes?: Record<string, AttributeValue | null> | undefined;
  types?: Record<string, AttributeType> | undefined;
}

/**
 * The contact's attributes after these changes. Each value must suit its attribute's type (a new
 * attribute takes the type given, else the one its value suggests); every problem is reported at
 * once, each naming its field (`attributes.<name>`), and nothing is written unless all are right.
 */
export async function applyAttributeChanges(db: Db, current: ContactAttributes, changes: AttributeChanges): Promise<ContactAttributes> {
  const entries = Object.entries(changes.attributes ?? {});
  if (entries.length === 0) return current;
  const known = new Map((await listAttributeDefinitions(db)).map((d) => [d.name, d.type]));
  const next: ContactAttributes = { ...current };
  const fresh: { name: string; type: AttributeType }[] = [];
  const problems: { field: string; message: string }[] = [];
  for (const [name, value] of entries) {
    if (value === null) {
      delete next[name];
      continue;
    }
    let type = known.get(name);
    if (!type) {
      type = changes.types?.[name] ?? (name === TIMEZONE_ATTRIBUTE ? 'text' : inferAttributeType(value));
      if (name === TIMEZONE_ATTRIBUTE && type !== 'text') {
        problems.push({ field: `attributes.${name}`, message: `${name} holds an IANA time zone name, so its type is text` });
        continue;
      }
      fresh.push({ name, type });
    } else if (changes.types?.[name] && changes.types[name] !== type) {
      problems.push({ field: `attributes.${name}`, message: `${name} is already a ${type} attribute; give it a ${type} value` });
      continue;
    }
    const checked = coerceAttribute(name, type, value);
    if (checked.ok) next[name] = checked.value;
    else problems.push({ field: `attributes.${name}`, message: checked.message });
  }
  if (problems.length === 0 && Object.keys(next).length > MAX_ATTRIBUTES_PER_CONTACT) {
    throw new UserError(
      422,
      'too_many_attributes',
      `a contact may hold at most ${MAX_ATTRIBUTES_PER_CONTACT} attributes, and this change leaves ${Object.keys(next).length}; remove some (set them to null) or keep such data elsewhere`,
      { field: 'attributes', limit: MAX_ATTRIBUTES_PER_CONTACT },
    );
  }
  if (problems.length === 0 && known.size + fresh.length > MAX_ATTRIBUTE_NAMES) {
    throw new UserError(
      422,
      'too_many_attribute_names',
      `the workspace may define at most ${MAX_ATTRIBUTE_NAMES} attribute names; it has ${known.size} and this change adds ${fresh.length} (${fresh
        .slice(0, 3)
        .map((f) => f.name)
        .join(', ')}${fresh.length > 3 ? ', …' : ''}); use the existing names`,
      { field: 'attributes', limit: MAX_ATTRIBUTE_NAMES },
    );
  }
  if (problems.length > 0) {
    throw new UserError(422, 'invalid_attribute', problems.map((p) => p.message).join('; '), {
      field: problems[0]?.field,
      problems,
    });
  }
  await defineAttributes(db, fresh);
  return next;
}
