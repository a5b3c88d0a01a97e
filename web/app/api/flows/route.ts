import { z } from 'zod';
import { newId } from '@server/db';
import { saveFlowDraft } from '@server/db/flows';
import { newFlowGraph } from '@/lib/flow-graph';
import { userRoute } from '@/lib/auth';
import { getDb, readJson } from '@/lib/server';

export const dynamic = 'force-dynamic';

const CreateFlowRequest = z
  .object({ name: z.string().trim().min(1, 'name must not be empty').max(120, 'name must be at most 120 characters').optional() })
  .default({});

/** Creates a new flow holding one Trigger and one Exit; answers 201 {id}. The body is optional. */
export const POST = userRoute(async (request: Request) => {
  const body = CreateFlowRequest.parse(await readJson(request, { optional: true }));
  const id = newId('flow');
  await saveFlowDraft(await getDb(), { id, name: body.name ?? 'Untitled flow', graph: newFlowGraph() });
  return Response.json({ id }, { status: 201 });
});
