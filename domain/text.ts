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
    // Said with the length typed, so a long paste is explained rather than cut (the forms set no maxLength).
    .max(max, {
      error: (issue) =>
        `${label} must be at most ${max.toLocaleString('en')} characters; this one has ${String(issue.input).length.toLocaleString('en')}: shorten it`,
    })
    .refine((s) => !CONTROL_CHARACTERS.test(s), { message: `${label} must not contain line breaks or control characters` });

/** An email address, trimmed, that can never carry a header injection. */
export const emailAddress = (label: string, example: string) =>
  headerSafe(label, 254)
    .trim()
    .pipe(z.email({ error: `${label} must be an email address like ${example}` }));
