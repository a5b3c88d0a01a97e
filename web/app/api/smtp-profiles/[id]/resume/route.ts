import { profileFor, profileView, resumeProfile } from '@server/profiles';
import { wakeRunsUsing } from '@server/runs/control';
import type { SmtpProfileResponse } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, getTemporal } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ id: string }> };

/**
 * "Resume sending" after the reputation guard paused the profile (admins only, recorded with who and
 * when): 200 with the profile; 409 when the guard had not paused it. Campaigns sending with it look again at once.
 */
export const POST = userRoute(async (_request: Request, { params }: Context, user) => {
  const { id } = await params;
  const db = await getDb();
  await resumeProfile(db, user, id);
  try {
    await wakeRunsUsing(db, await getTemporal(), id);
  } catch (err) {
    // Resumed all the same: the campaigns look again within a minute.
    console.warn(`[dripline] could not wake the campaigns sending with profile ${id}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return Response.json((await profileView(db, user, await profileFor(db, user, id))) satisfies SmtpProfileResponse);
});
