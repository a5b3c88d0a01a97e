import { temporalWorkflowUrl } from '@server/config';
import { getRun } from '@server/db/runs';
import { UserError } from '@server/errors';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** The run with each contact's status (and its Temporal link) and every delivery attempt. */
export const GET = userRoute(async (_request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const run = await getRun(await getDb(), id);
  if (!run) throw new UserError(404, 'run_not_found', `run "${id}" does not exist`);
  const config = getConfig();
  return Response.json({
    ...run,
    contacts: run.contacts.map((c) => ({ ...c, temporalUrl: temporalWorkflowUrl(config, c.workflowId) })),
  });
});
