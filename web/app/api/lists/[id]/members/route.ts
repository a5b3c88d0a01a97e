import { changeListMembers } from '@server/lists';
import { ChangeListMembersRequest, type ListResponse } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb, getTemporal, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** Adds and removes contacts by hand (unknown ids are ignored), starting the new members' journeys in flows on joining it; answers the list with its counts. 404 for a list the user may not change. */
export const POST = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const body = await readBody(request, ChangeListMembersRequest);
  // New members enter the flows that start on joining this list.
  const temporal = async () => ({ temporal: await getTemporal(), taskQueue: getConfig().TEMPORAL_TASK_QUEUE });
  return Response.json((await changeListMembers(await getDb(), user, id, body, temporal)) satisfies ListResponse);
});
