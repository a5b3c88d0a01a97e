import { runAttemptsFor, temporalLinkFor } from '@server/access';
import { userRoute } from '@/lib/auth';
import { PageQuery, searchParams } from '@/lib/paging';
import { getConfig, getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** A page of the run's delivery log, newest first (404 unless the user may see the run): every attempt with its SMTP reply and its workflow's Temporal link (admins; null for agents). */
export const GET = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const page = await runAttemptsFor(await getDb(), user, id, PageQuery.parse(searchParams(request)));
  const config = getConfig();
  return Response.json({ ...page, items: page.items.map((a) => ({ ...a, temporalUrl: temporalLinkFor(user, config, a.workflowId) })) });
});
