import { addToList, getList, removeFromList } from '@server/db/lists';
import { UserError } from '@server/errors';
import { ChangeListMembersRequest, type ListResponse } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** Adds and removes contacts by hand (unknown ids are ignored); answers the list with its counts. */
export const POST = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const body = await readBody(request, ChangeListMembersRequest);
  const db = await getDb();
  if (!(await getList(db, id))) throw new UserError(404, 'list_not_found', `list "${id}" does not exist`);
  await addToList(db, id, body.add);
  await removeFromList(db, id, body.remove);
  const list = await getList(db, id);
  if (!list) throw new UserError(404, 'list_not_found', `list "${id}" does not exist`);
  return Response.json(list satisfies ListResponse);
});
