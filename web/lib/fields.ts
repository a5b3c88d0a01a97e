/** Request fields that several routes share, with errors that name the field and the fix. */
import { z } from 'zod';
import { CONTROL_CHARACTERS, emailAddress } from '@domain/text';

export const required = (field: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? `${field} is required` : `${field} must be a string`;

export const emailField = (example: string) => z.string({ error: required('email') }).pipe(emailAddress('email', example));

export const personNameField = z
  .string({ error: required('name') })
  .trim()
  .min(1, 'name must not be empty')
  .max(200, 'name must be at most 200 characters')
  .refine((s) => !CONTROL_CHARACTERS.test(s), 'name must not contain line breaks or control characters');

export const passwordField = z
  .string({ error: required('password') })
  .min(10, 'password must be at least 10 characters')
  .max(128, 'password must be at most 128 characters');
