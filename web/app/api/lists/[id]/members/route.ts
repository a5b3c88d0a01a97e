import { changeListMembers } from '@server/lists';
import { ChangeListMembersRequest, type ListResponse } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** Adds and removes contacts by hand (unknown ids are ignored); answers the list with its counts. 404 for a list the user may not change. */
export const POST = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const body = await readBody(request, ChangeListMembersRequest);
  return Response.json((await changeListMembers(await getDb(), user, id, body)) satisfies ListResponse);
});
