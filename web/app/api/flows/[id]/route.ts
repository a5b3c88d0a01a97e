import { saveDraftAs, visibleFlow } from '@server/access';
import { archiveFlow, deleteFlowAs } from '@server/flows';
import { UserError } from '@server/errors';
import { compile } from '@domain/flow/compile';
import { FlowGraph } from '@domain/flow/schema';
import { ArchiveFlowRequest, type FlowArchived, type FlowResponse, type FlowSaved, SaveFlowRequest } from '@/lib/api-types';
import { FLOW_ID_PATTERN } from '@/lib/flow-graph';
import { userRoute } from '@/lib/auth';
import { getDb, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ id: string }> };

/** The flow, if the user may see it (its owner, or an admin); 404 otherwise. */
export const GET = userRoute(async (_request: Request, { params }: Context, user) => {
  const { id } = await params;
  return Response.json((await visibleFlow(await getDb(), user, id)) satisfies FlowResponse);
});

/**
 * Saves the draft. It must be well-formed, but may still be unfinished (e.g. not yet connected). A new
 * id makes a flow owned by the user; someone else's flow is 404 (agents change only their own).
 */
export const PUT = userRoute(async (request: Request, { params }: Context, user) => {
  const { id } = await params;
  if (!FLOW_ID_PATTERN.test(id)) {
    throw new UserError(400, 'invalid_flow_id', 'a flow id uses 1 to 64 letters, digits, "-" or "_"');
  }
  const body = await readBody(request, SaveFlowRequest);
  const graph = FlowGraph.safeParse(body.graph);
  if (!graph.success) {
    const result = compile(body.graph, { flowId: id, version: 0 });
    const details = result.ok ? graph.error.issues : result.errors;
    throw new UserError(422, 'invalid_flow', 'the flow has errors; fix the highlighted nodes', details);
  }
  await saveDraftAs(await getDb(), user, { id, name: body.name, graph: graph.data });
  return Response.json({ ok: true } satisfies FlowSaved);
});

/** Archives the flow (`{ archived: true }`: out of the flows list, its event trigger off) or restores it (`false`). */
export const PATCH = userRoute(async (request: Request, { params }: Context, user) => {
  const { id } = await params;
  const { archived } = await readBody(request, ArchiveFlowRequest);
  await archiveFlow(await getDb(), id, user, archived);
  return Response.json({ archived } satisfies FlowArchived);
});

/** Deletes the flow: 204; 409 runs_in_flight while runs of it are still going; 404 when it is not the user's. */
export const DELETE = userRoute(async (_request: Request, { params }: Context, user) => {
  const { id } = await params;
  await deleteFlowAs(await getDb(), id, user);
  return new Response(null, { status: 204 });
});
