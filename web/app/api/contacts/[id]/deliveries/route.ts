import { contactDeliveriesFor, temporalLinkFor } from '@server/access';
import type { ContactDeliveries } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * The delivery attempts to the contact the user may see (admins: all; agents: those of runs they may
 * see and their own one-off messages), newest first, with Temporal links for admins (null for agents).
 */
export const GET = userRoute(async (_request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const { contact, deliveries } = await contactDeliveriesFor(await getDb(), user, id);
  const config = getConfig();
  return Response.json({
    contact,
    deliveries: deliveries.map((d) => ({ ...d, temporalUrl: temporalLinkFor(user, config, d.workflowId) })),
  } satisfies ContactDeliveries);
});
