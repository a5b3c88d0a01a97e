import { sendToSet } from '@server/runs/resend';
import { SendToSetRequest } from '@domain/delivery-log';
import { userRoute } from '@/lib/auth';
import type { SentToSet } from '@/lib/run-log-api';
import { getConfig, getDb, getTemporal, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * "Send to these": POST {set, reason?, profileId?, idempotencyKey?} starts a new run of the same flow
 * version for that set of the run as it is now, linked to it: 201 {runId, recipients} (200 with the
 * same idempotency key again). 404 unless the user may see the run, 403 unless they may start runs of
 * its flow and use its senders (or profileId), 409 when the set is empty.
 */
export const POST = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const body = await readBody(request, SendToSetRequest);
  const db = await getDb();
  const temporal = await getTemporal();
  const started = await sendToSet(db, temporal, getConfig(), user, id, body);
  return Response.json(started satisfies SentToSet, { status: started.created ? 201 : 200 });
});
