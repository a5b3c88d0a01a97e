import { visibleSegment } from '@server/access';
import { countMatching } from '@server/db/contact-filter';
import { deleteSegmentAs, saveSegment } from '@server/segments';
import { SaveSegmentRequest, type SegmentResponse, type SegmentWithCount } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ id: string }> };

/** The segment and how many contacts it matches now (what a run started for it would mail: `count.subscribed`). 404 for one the user may not see. */
export const GET = userRoute(async (_request: Request, { params }: Params, user) => {
  const db = await getDb();
  const segment = await visibleSegment(db, user, (await params).id);
  return Response.json({ ...segment, count: await countMatching(db, segment.filter) } satisfies SegmentWithCount);
});

/**
 * Renames it or changes its rules (checked as on create): its owner and admins only (404 otherwise).
 * Flows testing it see the new rules at once; runs already started keep their recipients.
 */
export const PUT = userRoute(async (request: Request, { params }: Params, user) => {
  const { id } = await params;
  const body = await readBody(request, SaveSegmentRequest);
  return Response.json((await saveSegment(await getDb(), user, id, body)) satisfies SegmentResponse);
});

/** 204; 404 for a segment the user may not change; 409 naming the flows when a published flow or a run in flight tests it. */
export const DELETE = userRoute(async (_request: Request, { params }: Params, user) => {
  await deleteSegmentAs(await getDb(), user, (await params).id);
  return new Response(null, { status: 204 });
});
