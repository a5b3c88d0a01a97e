import { temporalWorkflowUrl } from '@server/config';
import { UserError } from '@server/errors';
import { runReport } from '@server/runs';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** The run, its live counts by state, the recent send rate and the estimated finish, and its workflow's Temporal link. */
export const GET = userRoute(async (_request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const report = await runReport(await getDb(), id);
  if (!report) throw new UserError(404, 'run_not_found', `run "${id}" does not exist`);
  const workflowId = report.run.workflowId;
  return Response.json({ ...report, temporalUrl: workflowId ? temporalWorkflowUrl(getConfig(), workflowId) : null });
});
