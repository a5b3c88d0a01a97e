import { visibleFlow } from '@server/access';
import { loadSecretKey } from '@server/secrets';
import { webhookSecret } from '@server/webhooks';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** The flow's webhook signing secret, for who may see the flow (404 otherwise, and for a flow not saved yet). */
export const GET = userRoute(async (_request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const flow = await visibleFlow(await getDb(), user, id);
  const response: { secret: string } = { secret: webhookSecret(loadSecretKey(getConfig()), flow.id) };
  return Response.json(response, { headers: { 'Cache-Control': 'no-store' } });
});
