import { findContactByEmail, insertContact, listContacts } from '@server/db/contacts';
import { UserError } from '@server/errors';
import { AddContactRequest, type ContactResponse } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

export const GET = userRoute(async () => Response.json((await listContacts(await getDb())) satisfies ContactResponse[]));

/** Adds a contact: 201 with the contact; 409 if the email is taken (case-insensitively). */
export const POST = userRoute(async (request: Request) => {
  const body = await readBody(request, AddContactRequest);
  const db = await getDb();
  const duplicate = () => new UserError(409, 'duplicate_email', `a contact with email ${body.email} already exists`, { field: 'email' });
  if (await findContactByEmail(db, body.email)) throw duplicate();
  try {
    const contact = await insertContact(db, body);
    return Response.json(contact satisfies ContactResponse, { status: 201 });
  } catch (err) {
    // Two requests can race past the check above; the unique index has the last word.
    if (err instanceof Error && 'code' in err && err.code === 'SQLITE_CONSTRAINT_UNIQUE') throw duplicate();
    throw err;
  }
});
