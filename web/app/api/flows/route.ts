import { newId } from '@server/db';
import { saveDraftAs } from '@server/access';
import { CreateFlowRequest, type FlowCreated } from '@/lib/api-types';
import { newFlowGraph } from '@/lib/flow-graph';
import { userRoute } from '@/lib/auth';
import { getDb, readJson } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** Creates a new flow owned by the user, holding one Trigger and one Exit; answers 201 {id}. The body is optional. */
export const POST = userRoute(async (request: Request, _context: unknown, user) => {
  const body = CreateFlowRequest.parse(await readJson(request, { optional: true }));
  const id = newId('flow');
  await saveDraftAs(await getDb(), user, { id, name: body.name ?? 'Untitled flow', graph: newFlowGraph() });
  return Response.json({ id } satisfies FlowCreated, { status: 201 });
});
