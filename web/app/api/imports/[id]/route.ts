import { discardUpload, importReport } from '@server/imports';
import type { ImportStatusResponse } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ id: string }> };

/** The import's progress (rows done of the total, created, updated, bad rows) and its first problems, by line. */
export const GET = userRoute(async (_request: Request, { params }: Params, user) => {
  const { id } = await params;
  return Response.json((await importReport(await getDb(), user, id)) satisfies ImportStatusResponse);
});

/** Discards an upload not started yet (204): its file is removed and it no longer counts against the user's waiting uploads; 409 once started. */
export const DELETE = userRoute(async (_request: Request, { params }: Params, user) => {
  const { id } = await params;
  await discardUpload(await getDb(), user, id);
  return new Response(null, { status: 204 });
});
