import { getContact } from '@server/db/contacts';
import { liftSuppression } from '@server/suppressions';
import type { ContactResponse } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ id: string }> };

/**
 * Lifts the unsubscribe or suppression of contact `id`: they are subscribed again, and the answer is
 * the contact. 404 for an unknown contact, 409 when nothing is left to lift. Admins only.
 */
export const DELETE = userRoute(
  async (_request: Request, { params }: Params, user) => {
    const { id } = await params;
    const db = await getDb();
    await liftSuppression(db, user, id);
    return Response.json((await getContact(db, id)) satisfies ContactResponse | undefined);
  },
  { admin: true },
);
