import { listRuns } from '@server/db/runs';
import { startRun } from '@server/runs';
import { type RunStarted, StartRunRequest } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb, getTemporal, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

export const GET = userRoute(async () => Response.json(await listRuns(await getDb())));

/** Starts one journey per contact on a published version, with senders resolved for the user: 201 {runId}. */
export const POST = userRoute(async (request: Request, _context: unknown, user) => {
  const body = await readBody(request, StartRunRequest);
  const db = await getDb();
  // Connect first: if Temporal is down, answer 503 before a run row is written.
  const temporal = await getTemporal();
  const { runId } = await startRun(db, temporal, getConfig(), user, body);
  return Response.json({ runId } satisfies RunStarted, { status: 201 });
});
