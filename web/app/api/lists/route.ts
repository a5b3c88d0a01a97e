import { isUniqueViolation } from '@server/db';
import { findListByName, getList, insertList, listLists } from '@server/db/lists';
import { UserError } from '@server/errors';
import { CreateListRequest, type ListResponse, type ListsResponse } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

export const GET = userRoute(async () => Response.json({ lists: await listLists(await getDb()) } satisfies ListsResponse));

/** Creates an empty static list: 201; 409 when another list has that name (case-insensitively). */
export const POST = userRoute(async (request: Request) => {
  const { name } = await readBody(request, CreateListRequest);
  const db = await getDb();
  const taken = () => new UserError(409, 'duplicate_list', `a list named "${name}" already exists`, { field: 'name' });
  if (await findListByName(db, name)) throw taken();
  let id: string;
  try {
    id = await insertList(db, name);
  } catch (err) {
    if (isUniqueViolation(err)) throw taken();
    throw err;
  }
  return Response.json((await getList(db, id)) satisfies ListResponse | undefined, { status: 201 });
});
