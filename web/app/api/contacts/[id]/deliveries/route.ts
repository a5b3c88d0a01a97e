import { contactDeliveriesFor } from '@server/access';
import { temporalWorkflowUrl } from '@server/config';
import type { ContactDeliveries } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * The delivery attempts to the contact the user may see (admins: all; agents: those of runs they may
 * see and their own one-off messages), newest first, with Temporal links.
 */
export const GET = userRoute(async (_request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const { contact, deliveries } = await contactDeliveriesFor(await getDb(), user, id);
  const config = getConfig();
  return Response.json({
    contact,
    deliveries: deliveries.map((d) => ({ ...d, temporalUrl: temporalWorkflowUrl(config, d.workflowId) })),
  } satisfies ContactDeliveries);
});
