import { z } from 'zod';
import { findContactByEmail, insertContact, listContacts } from '../../../../activities/db';
import { UserError } from '../../../../activities/errors';
import { userRoute } from '../../../lib/auth';
import { getDb, readBody } from '../../../lib/server';

export const dynamic = 'force-dynamic';

const AddContactRequest = z.object({
  email: z
    .string({ error: (issue) => (issue.input === undefined ? 'email is required' : 'email must be a string') })
    .trim()
    .max(254, 'email must be at most 254 characters')
    .pipe(z.email('enter a valid email address, like ada@example.com')),
  name: z
    .string({ error: (issue) => (issue.input === undefined ? 'name is required' : 'name must be a string') })
    .trim()
    .min(1, 'name must not be empty')
    .max(200, 'name must be at most 200 characters')
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'name must not contain line breaks or control characters'),
});

export const GET = userRoute(async () => Response.json(await listContacts(await getDb())));

/** Adds a contact: 201 with the contact; 409 if the email is taken (case-insensitively). */
export const POST = userRoute(async (request: Request) => {
  const body = await readBody(request, AddContactRequest);
  const db = await getDb();
  const duplicate = () =>
    new UserError(409, 'duplicate_email', `a contact with email ${body.email} already exists`, { field: 'email' });
  if (await findContactByEmail(db, body.email)) throw duplicate();
  try {
    const contact = await insertContact(db, body);
    return Response.json(contact, { status: 201 });
  } catch (err) {
    // Two requests can race past the check above; the unique index has the last word.
    if (err instanceof Error && 'code' in err && err.code === 'SQLITE_CONSTRAINT_UNIQUE') throw duplicate();
    throw err;
  }
});
