import { flowConversions } from '@server/conversions';
import { userRoute } from '@/lib/auth';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** How many of the flow's journeys reached its goal, per version and step (404 for a flow the user may not see). */
export const GET = userRoute(async (_request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  return Response.json(await flowConversions(await getDb(), user, id), { headers: { 'Cache-Control': 'no-store' } });
});
