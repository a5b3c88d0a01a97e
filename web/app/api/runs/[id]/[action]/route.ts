import { z } from 'zod';
import { visibleRun } from '@server/access';
import { StartAt } from '@domain/run-schedule';
import { controlRun, rescheduleRun, resendHeld } from '@server/runs/control';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb, getTemporal, readJson } from '@/lib/server';

export const dynamic = 'force-dynamic';

const Action = z.enum(['pause', 'resume', 'cancel', 'resend', 'reschedule'], { error: 'use /pause, /resume, /cancel, /resend or /reschedule' });
const RescheduleRequest = z.object({ startAt: StartAt }, { error: 'send {"startAt": "<ISO date and time>"}' });
const ResendRequest = z
  .object({ contactIds: z.array(z.string().min(1), { error: 'contactIds must be a list of contact ids' }).max(10_000).optional() })
  .default({});

/**
 * POST /api/runs/:id/pause | resume | cancel: 202, and the run's status follows once its workflow has
 * acted (in-flight batches finish; after cancel nothing more is sent). 409 when the run has finished.
 * POST /api/runs/:id/resend {contactIds?}: sends again the recipients held for review (all, or these):
 * 202 {resent}; 409 when none is held.
 * POST /api/runs/:id/reschedule {startAt}: a scheduled run starts then instead (in the future): 202; 409 once it has started.
 */
export const POST = userRoute(async (request: Request, { params }: { params: Promise<{ id: string; action: string }> }, user) => {
  const { id, action } = await params;
  const act = Action.parse(action);
  const db = await getDb();
  await visibleRun(db, user, id);
  const temporal = await getTemporal();
  if (act === 'resend') {
    const body = ResendRequest.parse(await readJson(request, { optional: true }));
    return Response.json(await resendHeld(db, temporal, getConfig(), id, body.contactIds), { status: 202 });
  }
  if (act === 'reschedule') {
    await rescheduleRun(db, temporal, id, RescheduleRequest.parse(await readJson(request)).startAt);
    return Response.json({ ok: true }, { status: 202 });
  }
  await controlRun(db, temporal, id, act);
  return Response.json({ ok: true }, { status: 202 });
});
