import { z } from 'zod';
import { Audience } from '@domain/audience';
import { listRuns } from '@server/db/runs';
import { startRun } from '@server/runs';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb, getTemporal, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

const idempotencyKey = z.string().min(1, 'idempotencyKey must not be empty').max(200, 'idempotencyKey must be at most 200 characters');

/** `contactIds: [...]` is shorthand for `audience: {kind: "contacts", contactIds: [...]}`. */
const StartRunRequest = z.preprocess(
  (body) => (body && typeof body === 'object' && 'contactIds' in body && !('audience' in body) ? { ...body, audience: { kind: 'contacts', contactIds: body.contactIds } } : body),
  z.object({
    flowId: z.string({ error: 'flowId is required' }).min(1, 'flowId is required'),
    version: z.number({ error: 'version must be a number' }).int('version must be a whole number').min(1, 'version must be 1 or more'),
    audience: Audience,
    idempotencyKey: idempotencyKey.optional(),
  }),
);

export const GET = userRoute(async () => Response.json(await listRuns(await getDb())));

/**
 * Starts a run of a published version for an audience of any size, with senders resolved for the
 * user: 201 {runId}, at once. With the same idempotency key (body or Idempotency-Key header) again,
 * 200 with the same runId and nothing new is started.
 */
export const POST = userRoute(async (request: Request, _context: unknown, user) => {
  const body = await readBody(request, StartRunRequest);
  const header = request.headers.get('idempotency-key');
  const key = body.idempotencyKey ?? (header ? idempotencyKey.parse(header) : undefined);
  const db = await getDb();
  // Connect first: if Temporal is down, answer 503 before a run row is written.
  const temporal = await getTemporal();
  const { runId, created } = await startRun(db, temporal, getConfig(), user, { ...body, idempotencyKey: key });
  return Response.json({ runId }, { status: created ? 201 : 200 });
});
