import { visibleRuns } from '@server/access';
import { startRun } from '@server/runs/start';
import { IdempotencyKey, type RunStarted, StartRunRequest } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb, getTemporal, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** The latest runs the user may see: all for admins; for agents, those they started and those of their flows. */
export const GET = userRoute(async (_request: Request, _context: unknown, user) => Response.json(await visibleRuns(await getDb(), user)));

/**
 * Starts a run of a published version for an audience of any size, with senders resolved for the
 * user: 201 {runId}, at once. With the same idempotency key (body or Idempotency-Key header) again,
 * 200 with the same runId and nothing new is started.
 */
export const POST = userRoute(async (request: Request, _context: unknown, user) => {
  const body = await readBody(request, StartRunRequest);
  const header = request.headers.get('idempotency-key');
  const key = body.idempotencyKey ?? (header ? IdempotencyKey.parse(header) : undefined);
  const db = await getDb();
  // Connect first: if Temporal is down, answer 503 before a run row is written.
  const temporal = await getTemporal();
  const { runId, created } = await startRun(db, temporal, getConfig(), user, { ...body, idempotencyKey: key });
  return Response.json({ runId } satisfies RunStarted, { status: created ? 201 : 200 });
});
