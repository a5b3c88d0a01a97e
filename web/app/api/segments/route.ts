import { visibleSegments } from '@server/access';
import { createSegment } from '@server/segments';
import { SaveSegmentRequest, type SegmentResponse, type SegmentsResponse } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** The segments the user may see: their own; every segment for admins. */
export const GET = userRoute(async (_request: Request, _context: unknown, user) =>
  Response.json({ segments: await visibleSegments(await getDb(), user) } satisfies SegmentsResponse),
);

/**
 * Saves a named contact filter: 201 with the segment. 422 when a rule is malformed or does not fit the
 * attributes contacts have (details name the field, e.g. `filter.rules.1.op`); 409 when the name is taken.
 */
export const POST = userRoute(async (request: Request, _context: unknown, user) => {
  const body = await readBody(request, SaveSegmentRequest);
  const segment = await createSegment(await getDb(), user, body);
  return Response.json(segment satisfies SegmentResponse, { status: 201 });
});
