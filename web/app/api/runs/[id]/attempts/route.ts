import { temporalLinkFor } from '@server/access';
import { runLogFor } from '@server/runs/log';
import { DeliveryLogFilter, LogPage } from '@domain/delivery-log';
import { userRoute } from '@/lib/auth';
import type { DeliveryLogAnswer } from '@/lib/run-log-api';
import { searchParams } from '@/lib/paging';
import { getConfig, getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * A page of the run's delivery log, newest first (404 unless the user may see the run), filtered by
 * ?outcome=, ?class= (rejected, deferred, no-reply), ?code=, ?step=, ?profile=, ?email= (its beginning;
 * with &exact=1 the whole address) and paged by attempt id (?before= the `older` cursor, ?after= the
 * `newer` one; ?limit= up to 500): every attempt with its SMTP reply and its workflow's Temporal link (admins; null for agents).
 */
export const GET = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const query = searchParams(request);
  const page = await runLogFor(await getDb(), user, id, DeliveryLogFilter.parse(query), LogPage.parse(query));
  const config = getConfig();
  return Response.json({
    ...page,
    items: page.items.map((a) => ({ ...a, temporalUrl: temporalLinkFor(user, config, a.workflowId) })),
  } satisfies DeliveryLogAnswer);
});
