import { newId } from '@server/db';
import { saveFlowDraft } from '@server/db/flows';
import { CreateFlowRequest, type FlowCreated } from '@/lib/api-types';
import { newFlowGraph } from '@/lib/flow-graph';
import { userRoute } from '@/lib/auth';
import { getDb, readJson } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** Creates a new flow holding one Trigger and one Exit; answers 201 {id}. The body is optional. */
export const POST = userRoute(async (request: Request) => {
  const body = CreateFlowRequest.parse(await readJson(request, { optional: true }));
  const id = newId('flow');
  await saveFlowDraft(await getDb(), { id, name: body.name ?? 'Untitled flow', graph: newFlowGraph() });
  return Response.json({ id } satisfies FlowCreated, { status: 201 });
});
