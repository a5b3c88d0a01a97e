import { revokeApiKey } from '@server/db/api-keys';
import { UserError } from '@server/errors';
import { userRoute } from '@/lib/auth';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ id: string }> };

/** Revokes a key for good (admins only): requests with it get 401 from now on. 204; 404 for an unknown key. */
export const DELETE = userRoute(
  async (_request: Request, { params }: Params) => {
    const { id } = await params;
    if (!(await revokeApiKey(await getDb(), id))) throw new UserError(404, 'api_key_not_found', `API key "${id}" does not exist`);
    return new Response(null, { status: 204 });
  },
  { admin: true },
);
