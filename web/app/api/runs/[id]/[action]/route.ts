import { z } from 'zod';
import { controlRun } from '@server/runs';
import { userRoute } from '@/lib/auth';
import { getDb, getTemporal } from '@/lib/server';

export const dynamic = 'force-dynamic';

const Action = z.enum(['pause', 'resume', 'cancel'], { error: 'use /pause, /resume or /cancel' });

/**
 * POST /api/runs/:id/pause | resume | cancel: 202, and the run's status follows once its workflow has
 * acted (in-flight batches finish; after cancel nothing more is sent). 409 when the run has finished.
 */
export const POST = userRoute(async (_request: Request, { params }: { params: Promise<{ id: string; action: string }> }) => {
  const { id, action } = await params;
  await controlRun(await getDb(), await getTemporal(), id, Action.parse(action));
  return Response.json({ ok: true }, { status: 202 });
});
