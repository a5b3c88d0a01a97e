import { deleteProfile, profileFor, profileView, updateProfile } from '@server/profiles';
import { wakeRunsUsing } from '@server/runs/control';
import { SaveSmtpProfileRequest, type SmtpProfileResponse, type SmtpProfileSaved } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb, getKeyring, getSandboxServer, getTemporal, readBody } from '@/lib/server';
import { assertMayShare } from '@/lib/smtp-profile-request';

export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ id: string }> };

/** The profile as the user may see it (never the password); 403 for another agent's private profile. */
export const GET = userRoute(async (_request: Request, { params }: Context, user) => {
  const { id } = await params;
  const db = await getDb();
  return Response.json((await profileView(db, user, await profileFor(db, user, id))) satisfies SmtpProfileResponse);
});

/**
 * Saves the form: a blank password keeps the stored one unless the server changed. 200 {id, passwordCleared}.
 * Campaigns sending with it look again at once (a paused profile resumes when it is fixed).
 */
export const PUT = userRoute(async (request: Request, { params }: Context, user) => {
  const { id } = await params;
  const body = await readBody(request, SaveSmtpProfileRequest);
  assertMayShare(user, body);
  const db = await getDb();
  const saved = await updateProfile(db, getKeyring(), user, id, body, getSandboxServer());
  try {
    await wakeRunsUsing(db, await getTemporal(), id);
  } catch (err) {
    // Saved all the same: the campaigns look again within a minute.
    console.warn(`[dripline] could not wake the campaigns sending with profile ${id}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return Response.json(saved satisfies SmtpProfileSaved);
});

/** 204, or 409 naming the published flows that still send with it. */
export const DELETE = userRoute(async (_request: Request, { params }: Context, user) => {
  const { id } = await params;
  await deleteProfile(await getDb(), user, id);
  return new Response(null, { status: 204 });
});
