import { visibleLists } from '@server/access';
import { createList } from '@server/lists';
import { CreateListRequest, type ListResponse, type ListsResponse } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** The lists the user may see: their own; every list for admins. */
export const GET = userRoute(async (_request: Request, _context: unknown, user) =>
  Response.json({ lists: await visibleLists(await getDb(), user) } satisfies ListsResponse),
);

/** Creates an empty static list owned by the user: 201; 409 when another list has that name (case-insensitively). */
export const POST = userRoute(async (request: Request, _context: unknown, user) => {
  const { name } = await readBody(request, CreateListRequest);
  return Response.json((await createList(await getDb(), user, name)) satisfies ListResponse, { status: 201 });
});
