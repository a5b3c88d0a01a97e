import { getContact, setContactStatus, updateContact } from '@server/db/contacts';
import { deleteContact, JourneysNotCancelled } from '@server/contact-deletion';
import { applyAttributeChanges } from '@server/contacts';
import { UserError } from '@server/errors';
import { type ContactResponse, UpdateContactRequest } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb, getTemporal, readBody, TemporalUnavailableError } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ id: string }> };

async function contactOr404(id: string) {
  const contact = await getContact(await getDb(), id);
  if (!contact) throw new UserError(404, 'contact_not_found', `contact "${id}" does not exist`);
  return contact;
}

export const GET = userRoute(async (_request: Request, { params }: Params) =>
  Response.json((await contactOr404((await params).id)) satisfies ContactResponse),
);

/**
 * Changes the name, attributes (a value sets, null removes) and the subscription. Anyone may mark a
 * contact unsubscribed or suppressed; only an admin may put an unsubscribed or suppressed contact
 * back to subscribed.
 */
export const PATCH = userRoute(async (request: Request, { params }: Params, user) => {
  const { id } = await params;
  const body = await readBody(request, UpdateContactRequest);
  const db = await getDb();
  const contact = await contactOr404(id);
  const attributes = await applyAttributeChanges(db, contact.attributes, body);
  if (body.status && body.status !== contact.status) {
    if (body.status === 'subscribed' && user.role !== 'admin') {
      throw new UserError(403, 'admin_only', `${contact.email} is ${contact.status}; only an admin may subscribe them again`, { field: 'status' });
    }
    const why = body.status === 'subscribed' ? `subscribed again by ${user.email}` : `${body.status} by ${user.email}`;
    await setContactStatus(db, id, body.status, why);
  }
  await updateContact(db, id, { ...(body.name === undefined ? {} : { name: body.name }), ...(body.attributes ? { attributes } : {}) });
  return Response.json((await contactOr404(id)) satisfies ContactResponse);
});

/**
 * Deletes the contact (admins): their journeys are cancelled, their data leaves the app database, and
 * the delivery log keeps their rows anonymised. 404 for an unknown contact; 503 when Temporal cannot
 * be reached (then nothing was deleted).
 */
export const DELETE = userRoute(
  async (_request: Request, { params }: Params, user) => {
    const { id } = await params;
    try {
      return Response.json(await deleteContact(await getDb(), await getTemporal(), user, id));
    } catch (err) {
      if (err instanceof JourneysNotCancelled) throw new TemporalUnavailableError(getConfig().TEMPORAL_ADDRESS, { cause: err });
      throw err;
    }
  },
  { admin: true },
);
