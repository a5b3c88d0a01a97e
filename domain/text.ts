/**
 * Rules for text that reaches an email or a header, shared by every form, route and the flow language.
 * Pure: no Node built-ins.
 */
import { z } from 'zod';

/** CR, LF and other control characters: in a header field they would let a value inject headers. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Text that may go into a mail header (or anywhere a line break would be wrong). */
export const headerSafe = (label: string, max: number) =>
  z
    .string()
    .max(max, `${label} must be at most ${max} characters`)
    .refine((s) => !CONTROL_CHARACTERS.test(s), { message: `${label} must not contain line breaks or control characters` });

/** An email address, trimmed, that can never carry a header injection. */
export const emailAddress = (label: string, example: string) =>
  headerSafe(label, 254)
    .trim()
    .pipe(z.email({ error: `${label} must be an email address like ${example}` }));

/** What a template can say: the contact's name and email, its attributes, and the unsubscribe link. */
export interface TemplateValues {
  name: string;
  email: string;
  attributes?: Readonly<Record<string, string | number | boolean>>;
  /** `{{ unsubscribe_url }}`: set for campaign messages only. */
  unsubscribeUrl?: string;
}

/**
 * `{{ name }}`, `{{ email }}`, `{{ unsubscribe_url }}` or `{{ attribute }}`, optionally with a fallback:
 * `{{ plan | default: "friend" }}`. A value that is missing or empty renders the fallback, else nothing.
 */
export const TEMPLATE_TAG = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*default:\s*(?:"([^"]*)"|'([^']*)')\s*)?\}\}/g;

/** Does this text use `{{ name }}` (any spacing, with or without a default)? */
export function usesTag(template: string, name: string): boolean {
  for (const m of template.matchAll(TEMPLATE_TAG)) if (m[1] === name) return true;
  return false;
}

/** Fills the template's tags; control characters in contact data never reach a header. */
export function renderTemplate(template: string, values: TemplateValues, header: boolean): string {
  const clean = (s: string) => (header ? s.replace(new RegExp(CONTROL_CHARACTERS.source, 'g'), ' ') : s);
  return template.replace(TEMPLATE_TAG, (_, key: string, dq: string | undefined, sq: string | undefined) => {
    const own = key === 'name' ? values.name : key === 'email' ? values.email : key === 'unsubscribe_url' ? values.unsubscribeUrl : undefined;
    const attr = own === undefined && Object.hasOwn(values.attributes ?? {}, key) ? values.attributes?.[key] : undefined;
    const value = own ?? (attr === undefined ? '' : String(attr));
    return clean(value === '' ? (dq ?? sq ?? '') : value);
  });
}
