import { findContactByEmail, insertContact, isDuplicateEmail, parseContactSearch, searchContacts } from '@server/db/contacts';
import { applyAttributeChanges } from '@server/contacts';
import { UserError } from '@server/errors';
import { AddContactRequest, type ContactPage, type ContactResponse } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { PageQuery, searchParams } from '@/lib/paging';
import { getDb, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** A page of contacts, newest first: `?q=` searches email and name (`attribute:value` an attribute), `?offset=&limit=` pages. */
export const GET = userRoute(async (request: Request) => {
  const params = searchParams(request);
  const page = PageQuery.parse(params);
  const { contacts, total } = await searchContacts(await getDb(), parseContactSearch(params.q), page);
  return Response.json({ contacts, total, ...page } satisfies ContactPage);
});

/** Adds a contact: 201 with the contact; 409 if the email is taken (case-insensitively); 422 naming a bad attribute. */
export const POST = userRoute(async (request: Request) => {
  const body = await readBody(request, AddContactRequest);
  const db = await getDb();
  const duplicate = () => new UserError(409, 'duplicate_email', `a contact with email ${body.email} already exists`, { field: 'email' });
  if (await findContactByEmail(db, body.email)) throw duplicate();
  const attributes = await applyAttributeChanges(db, {}, body);
  try {
    const contact = await insertContact(db, { email: body.email, name: body.name, attributes });
    return Response.json(contact satisfies ContactResponse, { status: 201 });
  } catch (err) {
    // Two requests can race past the check above; the unique index has the last word.
    if (isDuplicateEmail(err)) throw duplicate();
    throw err;
  }
});
