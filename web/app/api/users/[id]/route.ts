import { deleteUser, type UserDeleted } from '@server/user-deletion';
import { userRoute } from '@/lib/auth';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ id: string }> };

/**
 * Deletes a user (admins): their flows, runs, private SMTP profiles and imports pass to you, their
 * login and sessions go. 409 `cannot_delete_self` for your own account, 409 `last_admin` for the last
 * admin, 404 for an unknown user.
 */
export const DELETE = userRoute(
  async (_request: Request, { params }: Params, user) => {
    const { id } = await params;
    return Response.json((await deleteUser(await getDb(), user, id)) satisfies UserDeleted);
  },
  { admin: true },
);
