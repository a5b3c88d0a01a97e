import { temporalLinkFor } from '@server/access';
import { runReport } from '@server/runs/report';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** (404 unless the user may see the run.) The run, its live counts by state, the recent send rate and the estimated finish, and its workflow's Temporal link (admins; null for agents). */
export const GET = userRoute(async (_request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const db = await getDb();
  const report = await runReport(db, user, id);
  return Response.json({ ...report, temporalUrl: temporalLinkFor(user, getConfig(), report.run.workflowId) });
});
