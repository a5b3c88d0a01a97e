import { countFilter } from '@server/segments';
import { CountSegmentRequest, type SegmentCountResponse } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * The live count of a filter being edited: how many contacts match and how many of them are subscribed.
 * POST, since a filter does not fit a URL. 422 names the bad rule's field, as saving would.
 */
export const POST = userRoute(async (request: Request) => {
  const { filter } = await readBody(request, CountSegmentRequest);
  return Response.json((await countFilter(await getDb(), filter)) satisfies SegmentCountResponse);
});
