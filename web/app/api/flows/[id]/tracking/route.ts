import { z } from 'zod';
import { flowTrackingAs, setFlowTrackingAs } from '@server/engagement';
import { userRoute } from '@/lib/auth';
import { getDb, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ id: string }> };

const TrackingRequest = z.object({ enabled: z.boolean({ error: 'enabled must be true (track opens and clicks) or false (do not)' }) });

/** Whether the flow tracks opens and clicks (`{ enabled }`), for its owner and admins (404 otherwise). */
export const GET = userRoute(async (_request: Request, { params }: Context, user) => {
  const { id } = await params;
  return Response.json({ enabled: await flowTrackingAs(await getDb(), user, id) }, { headers: { 'Cache-Control': 'no-store' } });
});

/** Switches "Track opens and clicks" (`{ enabled: true | false }`) for the flow's messages from now on. */
export const PUT = userRoute(async (request: Request, { params }: Context, user) => {
  const { id } = await params;
  const { enabled } = await readBody(request, TrackingRequest);
  await setFlowTrackingAs(await getDb(), user, id, enabled);
  return Response.json({ enabled });
});
