import { z } from 'zod';
import { listRuns } from '@server/db/runs';
import { startRun } from '@server/runs';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb, getTemporal, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

const StartRunRequest = z.object({
  flowId: z.string().min(1, 'flowId is required'),
  version: z.number({ error: 'version must be a number' }).int('version must be a whole number').min(1, 'version must be 1 or more'),
  contactIds: z
    .array(z.string().min(1, 'a contact id must not be empty'), { error: 'contactIds must be a list of contact ids' })
    .min(1, 'choose at least one contact')
    .max(1000, 'a run may have at most 1000 contacts'),
});

export const GET = userRoute(async () => Response.json(await listRuns(await getDb())));

/** Starts one journey per contact on a published version, with senders resolved for the user: 201 {runId}. */
export const POST = userRoute(async (request: Request, _context: unknown, user) => {
  const body = await readBody(request, StartRunRequest);
  const db = await getDb();
  // Connect first: if Temporal is down, answer 503 before a run row is written.
  const temporal = await getTemporal();
  const { runId } = await startRun(db, temporal, getConfig(), user, body);
  return Response.json({ runId }, { status: 201 });
});
