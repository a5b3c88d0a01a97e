import { deleteSegment } from '@server/db/segments';
import { countMatching } from '@server/db/contact-filter';
import { saveSegment, segmentOr404 } from '@server/segments';
import { UserError } from '@server/errors';
import { SaveSegmentRequest, type SegmentResponse, type SegmentWithCount } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ id: string }> };

/** The segment and how many contacts it matches now (what a run started for it would mail: `count.subscribed`). */
export const GET = userRoute(async (_request: Request, { params }: Params) => {
  const db = await getDb();
  const segment = await segmentOr404(db, (await params).id);
  return Response.json({ ...segment, count: await countMatching(db, segment.filter) } satisfies SegmentWithCount);
});

/** Renames it or changes its rules (checked as on create). Runs already started keep their recipients. */
export const PUT = userRoute(async (request: Request, { params }: Params) => {
  const { id } = await params;
  const body = await readBody(request, SaveSegmentRequest);
  return Response.json((await saveSegment(await getDb(), id, body)) satisfies SegmentResponse);
});

/** 204; 404 for an unknown segment. Runs started for it keep their recipients. */
export const DELETE = userRoute(async (_request: Request, { params }: Params) => {
  const { id } = await params;
  if (!(await deleteSegment(await getDb(), id))) throw new UserError(404, 'segment_not_found', `segment "${id}" does not exist`);
  return new Response(null, { status: 204 });
});
