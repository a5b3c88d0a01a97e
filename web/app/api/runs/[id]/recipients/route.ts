import { z } from 'zod';
import { runRecipientsFor, temporalLinkFor } from '@server/access';
import { userRoute } from '@/lib/auth';
import { PageQuery, searchParams } from '@/lib/paging';
import { getConfig, getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

const Query = PageQuery.extend({
  status: z
    .enum(['pending', 'sending', 'retrying', 'held', 'completed', 'failed', 'cancelled', 'journey', 'skipped'], {
      error: 'status must be one of pending, sending, retrying, held, completed, failed, cancelled, skipped',
    })
    .optional(),
});

/** A page of the run's recipients (404 unless the user may see the run), by email, each with the Temporal link of the workflow that holds its sends (admins; null for agents). */
export const GET = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const query = Query.parse(searchParams(request));
  const page = await runRecipientsFor(await getDb(), user, id, query);
  const config = getConfig();
  return Response.json({ ...page, items: page.items.map((r) => ({ ...r, temporalUrl: temporalLinkFor(user, config, r.workflowId) })) });
});
