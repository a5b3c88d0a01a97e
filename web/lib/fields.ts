/** Request fields that several routes share, with errors that name the field and the fix. */
import { z } from 'zod';

const required = (field: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? `${field} is required` : `${field} must be a string`;

export const emailField = (example: string) =>
  z
    .string({ error: required('email') })
    .trim()
    .max(254, 'email must be at most 254 characters')
    .pipe(z.email(`enter a valid email address, like ${example}`));

export const personNameField = z
  .string({ error: required('name') })
  .trim()
  .min(1, 'name must not be empty')
  .max(200, 'name must be at most 200 characters')
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'name must not contain line breaks or control characters');

export const passwordField = z
  .string({ error: required('password') })
  .min(10, 'password must be at least 10 characters')
  .max(128, 'password must be at most 128 characters');
