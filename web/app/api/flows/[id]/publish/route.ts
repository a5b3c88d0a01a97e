import { publishFlow } from '@server/flows';
import { publishLimit } from '@server/rate-limits';
import { type FlowPublished, PublishFlowRequest } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, readJson } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * Compiles the saved draft into a new immutable version, with the publisher and their optional note:
 * 200 {version, warnings}, 404/422 with node errors, or
 * 403 when a Send node uses someone else's private SMTP profile; 429 with Retry-After past 10 publishes a minute per user.
 */
export const POST = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const { note } = PublishFlowRequest.parse(await readJson(request, { optional: true }));
  await publishLimit.take(await getDb(), user.id);
  const { version, warnings } = await publishFlow(await getDb(), id, user, { note });
  return Response.json({ version, warnings } satisfies FlowPublished);
});
