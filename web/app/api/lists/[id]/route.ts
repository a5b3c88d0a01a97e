import { visibleList } from '@server/access';
import { deleteListAs } from '@server/lists';
import type { ListResponse } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ id: string }> };

/** The list with its counts; 404 for a list the user may not see. */
export const GET = userRoute(async (_request: Request, { params }: Params, user) =>
  Response.json((await visibleList(await getDb(), user, (await params).id)) satisfies ListResponse),
);

/** 204; 404 for a list the user may not change; 409 naming the flows when a published flow or a run in flight tests it. */
export const DELETE = userRoute(async (_request: Request, { params }: Params, user) => {
  await deleteListAs(await getDb(), user, (await params).id);
  return new Response(null, { status: 204 });
});
